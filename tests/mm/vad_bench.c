/*
 * tests/mm/vad_bench.c — the VAD tree's benchmark (make bench): guest
 * instructions per lookup.
 */
#include <hal.h>
#include <ktest.h>
#include "../../mm/mi.h"
#include "../../mm/vad.h"

/*
 * 1,000 VADs of 1 to 16 pages with gaps of 0 to 16 pages, as a process
 * with many small reservations has them, and lookups of random pages inside
 * random VADs: the hint rarely helps, so the figure is the tree walk (a
 * tree of 1,000 is 10 to 12 levels deep).
 */
KBENCH(vad_lookup_1000_vads)
{
    static EPROCESS Process;
    static PMMVAD Vads[1000];
    static ULONG_PTR Lookups[4096];
    ULONG Random = 11;
    ULONG_PTR Vpn = 0x10;
    const ULONG Rounds = 5;

    memset(&Process, 0, sizeof(Process));
    for (ULONG i = 0; i < ARRAY_SIZE(Vads); i++) {
        Random = Random * 1103515245u + 12345u;
        Vads[i] = MiAllocateVad(false);
        if (!Vads[i])
            return;
        Vads[i]->StartingVpn = Vpn;
        Vads[i]->EndingVpn = Vpn + (Random >> 8) % 16;
        Vpn = Vads[i]->EndingVpn + 1 + (Random >> 16) % 17;
        MiInsertVad(Vads[i], &Process);
    }
    for (ULONG i = 0; i < ARRAY_SIZE(Lookups); i++) {
        Random = Random * 1103515245u + 12345u;
        PMMVAD Vad = Vads[(Random >> 8) % ARRAY_SIZE(Vads)];
        Lookups[i] = Vad->StartingVpn + (Random >> 20) % (Vad->EndingVpn - Vad->StartingVpn + 1);
    }

    ULONG Misses = 0;
    KbenchStart(b);
    for (ULONG Round = 0; Round < Rounds; Round++) {
        for (ULONG i = 0; i < ARRAY_SIZE(Lookups); i++)
            Misses += MiLocateAddressInTree(Lookups[i], &Process.VadRoot) == NULL;
    }
    KbenchStop(b);
    if (Misses != 0)
        DbgPrint("# bench: vad_lookup_1000_vads: %u lookups found nothing\n", Misses);
    KbenchReport(b, "vad_lookup_1000_vads", (uint64_t)Rounds * ARRAY_SIZE(Lookups));

    for (ULONG i = 0; i < ARRAY_SIZE(Vads); i++) {
        MiRemoveVad(Vads[i], &Process);
        MiFreeVad(Vads[i]);
    }
}
