/*
 * mm/vad.c — virtual address descriptors: the AVL tree of a process's
 * reservations.
 *
 * NT records each reservation of the user range in a VAD and keeps a
 * process's VADs in a balanced binary search tree ordered by address (an
 * AVL tree since Windows Server 2003; EPROCESS.VadRoot). Ranges never
 * overlap, so a node's starting page number orders it. mm386 does the same
 * with NT's layout: every node begins with an MMADDRESS_NODE whose parent
 * pointer carries the node's balance (height of the right subtree minus the
 * left, -1, 0 or +1) in its low two bits, and the table's BalancedRoot is a
 * sentinel whose right child is the real root, so rotations at the root
 * need no special case. An insert walks down to a leaf position and
 * retraces up, adjusting balances until one becomes 0 or a single or double
 * rotation restores the height; a removal swaps a node with two children
 * with its in-order successor, unlinks it and retraces the same way, where
 * a rotation may shorten the subtree and the retrace continues.
 *
 * Lookup by address first tries the node the last lookup found (NT's
 * VadHint): consecutive faults and services mostly touch the same VAD.
 * Free space is found first-fit, walking the tree in order: bottom-up from
 * the lowest address or top-down from the highest, each candidate on the
 * allocation granularity (64 KB); the caller passes the bounds (the first
 * 64 KB and the 64 KB below MmUserProbeAddress are never inside them).
 *
 * Locking is the caller's (mm/vad.h). VADs come from nonpaged pool with
 * NT's tags: 'VadS' for an MMVAD_SHORT, 'Vad ' for an MMVAD.
 */
#include <pool.h>
#include "mi.h"
#include "vad.h"

static inline void SetParent(PMMADDRESS_NODE Node, PMMADDRESS_NODE Parent)
{
    Node->u1.Parent = (PMMADDRESS_NODE)((ULONG_PTR)Parent | ((ULONG_PTR)Node->u1.Parent & 3));
}

static inline void SetBalance(PMMADDRESS_NODE Node, LONG Balance)
{
    Node->u1.Balance = Balance;
}

static inline void SetParentAndBalance(PMMADDRESS_NODE Node, PMMADDRESS_NODE Parent, LONG Balance)
{
    Node->u1.Parent = (PMMADDRESS_NODE)((ULONG_PTR)Parent | ((ULONG_PTR)Balance & 3));
}

/* Makes Parent point at New where it pointed at Old (the sentinel's only child is its right one). */
static inline void ReplaceChild(PMMADDRESS_NODE Parent, PMMADDRESS_NODE Old, PMMADDRESS_NODE New)
{
    if (Parent->LeftChild == Old)
        Parent->LeftChild = New;
    else
        Parent->RightChild = New;
}

/* Node's right child takes Node's place; Node becomes its left child. Balances are the caller's. */
static void RotateLeft(PMMADDRESS_NODE Node)
{
    PMMADDRESS_NODE Pivot = Node->RightChild, Parent = MiParentNode(Node);

    Node->RightChild = Pivot->LeftChild;
    if (Pivot->LeftChild)
        SetParent(Pivot->LeftChild, Node);
    Pivot->LeftChild = Node;
    ReplaceChild(Parent, Node, Pivot);
    SetParent(Pivot, Parent);
    SetParent(Node, Pivot);
}

/* Node's left child takes Node's place; Node becomes its right child. */
static void RotateRight(PMMADDRESS_NODE Node)
{
    PMMADDRESS_NODE Pivot = Node->LeftChild, Parent = MiParentNode(Node);

    Node->LeftChild = Pivot->RightChild;
    if (Pivot->RightChild)
        SetParent(Pivot->RightChild, Node);
    Pivot->RightChild = Node;
    ReplaceChild(Parent, Node, Pivot);
    SetParent(Pivot, Parent);
    SetParent(Node, Pivot);
}

/*
 * Node's subtree leans by Balance (+2 or -2): rotates it back into shape and
 * returns the subtree's new root. *Shorter says whether the subtree is now
 * one level lower than before the rotation: always, except when the heavy
 * child was itself balanced (which only a removal produces).
 */
static PMMADDRESS_NODE Rebalance(PMMADDRESS_NODE Node, LONG Balance, bool *Shorter)
{
    if (Balance > 0) {
        PMMADDRESS_NODE Right = Node->RightChild;
        LONG RightBalance = MiNodeBalance(Right);
        if (RightBalance >= 0) {
            RotateLeft(Node);
            SetBalance(Node, RightBalance == 0 ? 1 : 0);
            SetBalance(Right, RightBalance == 0 ? -1 : 0);
            *Shorter = RightBalance != 0;
            return Right;
        }
        PMMADDRESS_NODE Inner = Right->LeftChild;
        LONG InnerBalance = MiNodeBalance(Inner);
        RotateRight(Right);
        RotateLeft(Node);
        SetBalance(Node, InnerBalance > 0 ? -1 : 0);
        SetBalance(Right, InnerBalance < 0 ? 1 : 0);
        SetBalance(Inner, 0);
        *Shorter = true;
        return Inner;
    }
    PMMADDRESS_NODE Left = Node->LeftChild;
    LONG LeftBalance = MiNodeBalance(Left);
    if (LeftBalance <= 0) {
        RotateRight(Node);
        SetBalance(Node, LeftBalance == 0 ? -1 : 0);
        SetBalance(Left, LeftBalance == 0 ? 1 : 0);
        *Shorter = LeftBalance != 0;
        return Left;
    }
    PMMADDRESS_NODE Inner = Left->RightChild;
    LONG InnerBalance = MiNodeBalance(Inner);
    RotateLeft(Left);
    RotateRight(Node);
    SetBalance(Node, InnerBalance < 0 ? 1 : 0);
    SetBalance(Left, InnerBalance > 0 ? -1 : 0);
    SetBalance(Inner, 0);
    *Shorter = true;
    return Inner;
}

void MiInsertNode(PMMADDRESS_NODE Node, PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Sentinel = &Table->BalancedRoot;
    PMMADDRESS_NODE Parent = Sentinel, Current = Sentinel->RightChild;
    bool Left = false;

    /* The sentinel is its own parent: that is how the in-order walks know they reached the top. */
    SetParentAndBalance(Sentinel, Sentinel, 0);
    while (Current) {
        Parent = Current;
        Left = Node->StartingVpn < Current->StartingVpn;
        Current = Left ? Current->LeftChild : Current->RightChild;
    }
    Node->LeftChild = Node->RightChild = NULL;
    SetParentAndBalance(Node, Parent, 0);
    if (Left)
        Parent->LeftChild = Node;
    else
        Parent->RightChild = Node;
    Table->NumberGenericTableElements++;

    /* Up from the new leaf: each subtree grew by one level until a balance evens out. */
    for (PMMADDRESS_NODE Child = Node; Parent != Sentinel; Child = Parent, Parent = MiParentNode(Parent)) {
        LONG Balance = MiNodeBalance(Parent) + (Parent->LeftChild == Child ? -1 : 1);
        if (Balance == 0) {
            SetBalance(Parent, 0);
            break;
        }
        if (Balance == 1 || Balance == -1) {
            SetBalance(Parent, Balance);
            continue;
        }
        bool Shorter;
        Rebalance(Parent, Balance, &Shorter);      /* the subtree is back to its old height */
        break;
    }
}

/*
 * Puts Successor (the leftmost node of Node's right subtree, so without a
 * left child) where Node is in the tree, and Node where Successor was,
 * balances included. The nodes themselves do not move in memory: callers
 * hold pointers to them.
 */
static void SwapWithSuccessor(PMMADDRESS_NODE Node, PMMADDRESS_NODE Successor)
{
    PMMADDRESS_NODE NodeParent = MiParentNode(Node);
    PMMADDRESS_NODE SuccessorRight = Successor->RightChild;
    LONG NodeBalance = MiNodeBalance(Node), SuccessorBalance = MiNodeBalance(Successor);

    ReplaceChild(NodeParent, Node, Successor);
    Successor->LeftChild = Node->LeftChild;
    SetParent(Successor->LeftChild, Successor);
    if (Successor == Node->RightChild) {
        Successor->RightChild = Node;
        SetParentAndBalance(Node, Successor, SuccessorBalance);
    } else {
        PMMADDRESS_NODE SuccessorParent = MiParentNode(Successor);
        Successor->RightChild = Node->RightChild;
        SetParent(Successor->RightChild, Successor);
        SuccessorParent->LeftChild = Node;
        SetParentAndBalance(Node, SuccessorParent, SuccessorBalance);
    }
    SetParentAndBalance(Successor, NodeParent, NodeBalance);
    Node->LeftChild = NULL;
    Node->RightChild = SuccessorRight;
    if (SuccessorRight)
        SetParent(SuccessorRight, Node);
}

void MiRemoveNode(PMMADDRESS_NODE Node, PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Sentinel = &Table->BalancedRoot;

    if (Node->LeftChild && Node->RightChild) {
        PMMADDRESS_NODE Successor = Node->RightChild;
        while (Successor->LeftChild)
            Successor = Successor->LeftChild;
        SwapWithSuccessor(Node, Successor);
    }

    /* Node has one child at most now: the child takes its place. */
    PMMADDRESS_NODE Child = Node->LeftChild ? Node->LeftChild : Node->RightChild;
    PMMADDRESS_NODE Parent = MiParentNode(Node);
    bool FromLeft = Parent->LeftChild == Node;
    if (FromLeft)
        Parent->LeftChild = Child;
    else
        Parent->RightChild = Child;
    if (Child)
        SetParent(Child, Parent);

    /* Up from there: each subtree lost a level until a balance absorbs it or a rotation does. */
    while (Parent != Sentinel) {
        LONG Balance = MiNodeBalance(Parent) + (FromLeft ? 1 : -1);
        PMMADDRESS_NODE Subtree = Parent;
        if (Balance == 1 || Balance == -1) {
            SetBalance(Parent, Balance);
            break;
        }
        if (Balance == 0) {
            SetBalance(Parent, 0);
        } else {
            bool Shorter;
            Subtree = Rebalance(Parent, Balance, &Shorter);
            if (!Shorter)
                break;
        }
        Parent = MiParentNode(Subtree);
        FromLeft = Parent->LeftChild == Subtree;
    }

    Table->NumberGenericTableElements--;
    if (Table->NodeHint == Node)
        Table->NodeHint = NULL;
    Node->LeftChild = Node->RightChild = NULL;
    Node->u1.Parent = NULL;
}

PMMADDRESS_NODE MiLocateAddressInTree(ULONG_PTR Vpn, PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Node = Table->NodeHint;

    if (Node && Vpn >= Node->StartingVpn && Vpn <= Node->EndingVpn)
        return Node;
    for (Node = Table->BalancedRoot.RightChild; Node;) {
        if (Vpn < Node->StartingVpn) {
            Node = Node->LeftChild;
        } else if (Vpn > Node->EndingVpn) {
            Node = Node->RightChild;
        } else {
            Table->NodeHint = Node;
            return Node;
        }
    }
    return NULL;
}

PMMADDRESS_NODE MiLocateAddressOrNextInTree(ULONG_PTR Vpn, PMM_AVL_TABLE Table, bool *Contains)
{
    PMMADDRESS_NODE Node = Table->NodeHint, Above = NULL;

    *Contains = true;
    if (Node && Vpn >= Node->StartingVpn && Vpn <= Node->EndingVpn)
        return Node;
    for (Node = Table->BalancedRoot.RightChild; Node;) {
        if (Vpn < Node->StartingVpn) {
            Above = Node;
            Node = Node->LeftChild;
        } else if (Vpn > Node->EndingVpn) {
            Node = Node->RightChild;
        } else {
            Table->NodeHint = Node;
            return Node;
        }
    }
    *Contains = false;
    return Above;
}

PMMADDRESS_NODE MiCheckForConflictingNode(ULONG_PTR StartVpn, ULONG_PTR EndVpn, PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Node = Table->BalancedRoot.RightChild, Found = NULL;

    /* Any node overlapping the range lies on this path; keep going left for the lowest one. */
    while (Node) {
        if (EndVpn < Node->StartingVpn) {
            Node = Node->LeftChild;
        } else if (StartVpn > Node->EndingVpn) {
            Node = Node->RightChild;
        } else {
            Found = Node;
            Node = Node->LeftChild;
        }
    }
    return Found;
}

PMMADDRESS_NODE MiGetFirstNode(PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Node = Table->BalancedRoot.RightChild;
    if (Node)
        while (Node->LeftChild)
            Node = Node->LeftChild;
    return Node;
}

PMMADDRESS_NODE MiGetLastNode(PMM_AVL_TABLE Table)
{
    PMMADDRESS_NODE Node = Table->BalancedRoot.RightChild;
    if (Node)
        while (Node->RightChild)
            Node = Node->RightChild;
    return Node;
}

PMMADDRESS_NODE MiGetNextNode(PMMADDRESS_NODE Node)
{
    if (Node->RightChild) {
        Node = Node->RightChild;
        while (Node->LeftChild)
            Node = Node->LeftChild;
        return Node;
    }
    /* Up until we arrive from a left child; the sentinel (its own parent) ends the walk. */
    for (PMMADDRESS_NODE Parent = MiParentNode(Node); Parent != Node; Node = Parent, Parent = MiParentNode(Parent)) {
        if (Parent->LeftChild == Node)
            return Parent;
    }
    return NULL;
}

PMMADDRESS_NODE MiGetPreviousNode(PMMADDRESS_NODE Node)
{
    if (Node->LeftChild) {
        Node = Node->LeftChild;
        while (Node->RightChild)
            Node = Node->RightChild;
        return Node;
    }
    for (PMMADDRESS_NODE Parent = MiParentNode(Node); Parent != Node; Node = Parent, Parent = MiParentNode(Parent)) {
        if (Parent->RightChild == Node)
            return MiParentNode(Parent) == Parent ? NULL : Parent;     /* the root is the sentinel's right child */
    }
    return NULL;
}

NTSTATUS MiFindEmptyAddressRangeInTree(ULONG SizeInPages, ULONG AlignmentPages, ULONG_PTR LowestVpn,
                                       ULONG_PTR HighestVpn, PMM_AVL_TABLE Table, ULONG_PTR *Vpn)
{
    ULONG_PTR Candidate = ROUND_UP(LowestVpn, AlignmentPages);

    if (SizeInPages == 0)
        return STATUS_NO_MEMORY;
    for (PMMADDRESS_NODE Node = MiGetFirstNode(Table); Node; Node = MiGetNextNode(Node)) {
        if (Node->EndingVpn < Candidate)
            continue;
        if (Candidate > HighestVpn || HighestVpn - Candidate + 1 < SizeInPages)
            return STATUS_NO_MEMORY;        /* every later gap is higher still */
        if (Node->StartingVpn > Candidate && Node->StartingVpn - Candidate >= SizeInPages) {
            *Vpn = Candidate;
            return STATUS_SUCCESS;
        }
        Candidate = ROUND_UP(Node->EndingVpn + 1, AlignmentPages);
    }
    if (Candidate > HighestVpn || HighestVpn - Candidate + 1 < SizeInPages)
        return STATUS_NO_MEMORY;
    *Vpn = Candidate;
    return STATUS_SUCCESS;
}

NTSTATUS MiFindEmptyAddressRangeDownTree(ULONG SizeInPages, ULONG AlignmentPages, ULONG_PTR LowestVpn,
                                         ULONG_PTR HighestVpn, PMM_AVL_TABLE Table, ULONG_PTR *Vpn)
{
    ULONG_PTR Limit = HighestVpn;           /* the highest page the next gap may use */

    if (SizeInPages == 0)
        return STATUS_NO_MEMORY;
    for (PMMADDRESS_NODE Node = MiGetLastNode(Table); Node; Node = MiGetPreviousNode(Node)) {
        if (Node->StartingVpn > Limit)
            continue;
        if (Node->EndingVpn < Limit && Limit + 1 >= SizeInPages) {
            /* The gap between this node and Limit, its highest aligned start. */
            ULONG_PTR Start = ROUND_DOWN(Limit + 1 - SizeInPages, AlignmentPages);
            if (Start > Node->EndingVpn && Start >= LowestVpn) {
                *Vpn = Start;
                return STATUS_SUCCESS;
            }
        }
        if (Node->StartingVpn <= LowestVpn)
            return STATUS_NO_MEMORY;
        Limit = Node->StartingVpn - 1;
    }
    if (Limit + 1 < SizeInPages)
        return STATUS_NO_MEMORY;
    ULONG_PTR Start = ROUND_DOWN(Limit + 1 - SizeInPages, AlignmentPages);
    if (Start < LowestVpn)
        return STATUS_NO_MEMORY;
    *Vpn = Start;
    return STATUS_SUCCESS;
}

NTSTATUS MiFindEmptyAddressRange(PEPROCESS Process, SIZE_T Size, ULONG HighestAddress, bool TopDown,
                                 PVOID *Base)
{
    ULONG Pages = (ULONG)(Size >> PAGE_SHIFT);
    ULONG_PTR Vpn;
    NTSTATUS Status;

    if (TopDown)
        Status = MiFindEmptyAddressRangeDownTree(Pages, MM_ALLOCATION_GRANULARITY >> PAGE_SHIFT,
                                                 MI_VA_TO_VPN(MM_LOWEST_USER_ADDRESS), MI_VA_TO_VPN(HighestAddress),
                                                 &Process->VadRoot, &Vpn);
    else
        Status = MiFindEmptyAddressRangeInTree(Pages, MM_ALLOCATION_GRANULARITY >> PAGE_SHIFT,
                                               MI_VA_TO_VPN(MM_LOWEST_USER_ADDRESS), MI_VA_TO_VPN(HighestAddress),
                                               &Process->VadRoot, &Vpn);
    if (NT_SUCCESS(Status))
        *Base = MI_VPN_TO_VA(Vpn);
    return Status;
}

PMMVAD MiAllocateVad(bool Long)
{
    SIZE_T Size = Long ? sizeof(MMVAD) : sizeof(MMVAD_SHORT);
    PMMVAD Vad = ExAllocatePoolWithTag(NonPagedPool, Size, Long ? MM_VAD_TAG : MM_VAD_SHORT_TAG);

    if (Vad) {
        memset(Vad, 0, Size);
        Vad->u.VadFlags.LongVad = Long;
    }
    return Vad;
}

void MiFreeVad(PMMVAD Vad)
{
    ExFreePoolWithTag(Vad, Vad->u.VadFlags.LongVad ? MM_VAD_TAG : MM_VAD_SHORT_TAG);
}
