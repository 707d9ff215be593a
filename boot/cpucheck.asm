; boot/cpucheck.asm — before paging: does this processor have what mm386 needs?
;
; NT checks the boot processor early in KiInitializeKernel and stops with
; UNSUPPORTED_PROCESSOR (0x5D) when a feature it relies on is missing: the
; 80386 since NT 4, a processor without CMPXCHG8B since XP. mm386 relies on
; four CPUID leaf 1 features before any C code runs: PSE (boot/boot.asm's
; identity map is made of 4 MB pages), TSC (KiSystemStartup reads the time
; stamp counter first thing), CX8 (the pool's lookaside lists) and CMOV (gcc
; emits it for -march=i686, anywhere in the C code). PGE is optional: hal/tb.c
; turns it on when CPUID offers it.
;
; So the check is the first thing _start does, paging off, in assembly, and
; its stop cannot use the kernel's bugcheck path: it writes NT's STOP line,
; the code's name and the features missing itself, polled on COM1 and
; straight into the VGA text buffer (white on blue, as KeBugCheckEx does).
; The parameters are NT's: family, model and stepping as bytes in the first
; (0 when the processor has no CPUID at all), the vendor string in the other
; three. A test boot (a word starting with "ktest" on the command line) then
; prints the harness's verdict line and ends QEMU through isa-debug-exit with
; the harness's failure value, or Bochs through its shutdown port, as the
; ktest bugcheck hook would; any other boot halts with the message showing.

%include "kernel.inc"              ; generated from include/x86.h and include/layout.h

; Values kept elsewhere in C headers that kernel.inc is not made from.
%define UNSUPPORTED_PROCESSOR   0x5D        ; include/bugcodes.h
%define KTEST_EXIT_FAILURE      0x11        ; include/ktest.h
%define QEMU_DEBUG_EXIT         0xF4        ; hal/reboot.c
%define BOCHS_SHUTDOWN_PORT     0x8900      ; hal/reboot.c
%define MULTIBOOT_INFO_CMDLINE  0x04        ; boot/multiboot.h
%define MULTIBOOT_CMDLINE       16          ; offset of cmdline in multiboot_info_t

; COM1, a 16550: drivers/serial.c has the full story.
%define COM1                    0x3F8
%define UART_IER                1
%define UART_LCR                3
%define UART_LSR                5
%define LCR_DLAB                0x80
%define LCR_8N1                 0x03
%define LSR_THR_EMPTY           0x20

%define VGA_COLUMNS             80
%define VGA_ROWS                25
%define VGA_BUGCHECK            0x1F        ; white on blue

%define REQUIRED_FEATURES (CPUID1_EDX_PSE | CPUID1_EDX_TSC | CPUID1_EDX_CX8 | CPUID1_EDX_CMOV)

section .bss
boot_cpu_vendor:        resd 3
boot_cpu_signature:     resd 1
boot_cpu_missing:       resd 1
boot_vga_cursor:        resd 1

%define PHYS(sym) ((sym) - KERNEL_VA_OFFSET)   ; for symbols of the high half

section .text.boot progbits alloc exec nowrite align=16
global KiCheckProcessorFeatures

; In: EBX = the multiboot information (physical). Returns, every register
; kept, when the processor has every required feature; otherwise stops.
KiCheckProcessorFeatures:
    pushad
    xor eax, eax
    mov [PHYS(boot_cpu_vendor)], eax
    mov [PHYS(boot_cpu_vendor) + 4], eax
    mov [PHYS(boot_cpu_vendor) + 8], eax
    mov [PHYS(boot_cpu_signature)], eax

    ; CPUID exists exactly when EFLAGS.ID can be changed.
    pushfd
    pop eax
    mov ecx, eax
    xor eax, EFLAGS_ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    mov edx, 0                          ; features: none known yet
    test eax, EFLAGS_ID
    jz .judge

    xor eax, eax
    cpuid                               ; EAX = highest leaf, EBX:EDX:ECX = vendor
    mov [PHYS(boot_cpu_vendor)], ebx
    mov [PHYS(boot_cpu_vendor) + 4], edx
    mov [PHYS(boot_cpu_vendor) + 8], ecx
    mov edx, 0
    test eax, eax
    jz .judge
    mov eax, 1
    cpuid                               ; EAX = signature, EDX = features
    mov [PHYS(boot_cpu_signature)], eax
.judge:
    not edx
    and edx, REQUIRED_FEATURES
    mov [PHYS(boot_cpu_missing)], edx
    jnz .unsupported
    popad
    ret

.unsupported:
    mov ebp, [esp + 16]                 ; the caller's EBX, saved by pushad
    call early_console_init
    mov esi, msg_stop
    call puts
    mov eax, UNSUPPORTED_PROCESSOR
    call puthex
    mov esi, msg_open
    call puts
    mov eax, [PHYS(boot_cpu_signature)]
    call nt_processor_id
    call puthex
    mov esi, msg_comma
    call puts
    mov eax, [PHYS(boot_cpu_vendor)]
    call puthex
    mov esi, msg_comma
    call puts
    mov eax, [PHYS(boot_cpu_vendor) + 4]
    call puthex
    mov esi, msg_comma
    call puts
    mov eax, [PHYS(boot_cpu_vendor) + 8]
    call puthex
    mov esi, msg_name
    call puts

    cmp dword [PHYS(boot_cpu_vendor)], 0    ; still 0: no CPUID
    jne .list
    mov esi, msg_no_cpuid
    call puts
    jmp .needs
.list:
    mov esi, msg_lacks
    call puts
    mov ebx, feature_names
.next_feature:
    mov eax, [ebx]
    test eax, eax
    jz .listed
    test [PHYS(boot_cpu_missing)], eax
    jz .skip
    mov esi, [ebx + 4]
    call puts
.skip:
    add ebx, 8
    jmp .next_feature
.listed:
    mov al, 10
    call putc
.needs:
    mov esi, msg_needs
    call puts

    call is_test_boot
    jnc .halt
    mov esi, msg_verdict
    call puts
    mov dx, QEMU_DEBUG_EXIT
    mov eax, KTEST_EXIT_FAILURE
    out dx, eax
    mov esi, msg_shutdown               ; still running: not QEMU; Bochs leaves on this string
    mov dx, BOCHS_SHUTDOWN_PORT
.shutdown:
    lodsb
    test al, al
    jz .halt
    out dx, al
    jmp .shutdown
.halt:
    cli
    hlt
    jmp .halt

; EAX = the CPUID signature; returns NT's first parameter: family, model and stepping as bytes.
nt_processor_id:
    mov ecx, eax
    and ecx, 0x0F                       ; stepping
    mov edx, eax
    shr edx, 4
    and edx, 0x0F                       ; model
    shl edx, 8
    or ecx, edx
    shr eax, 8
    and eax, 0x0F                       ; family
    shl eax, 16
    or eax, ecx
    ret

; COM1 at 115200 8N1, polled; the VGA text screen cleared to white on blue.
early_console_init:
    mov dx, COM1 + UART_IER
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, LCR_DLAB
    out dx, al
    mov dx, COM1                        ; divisor 1: 115200 baud
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + UART_LCR
    mov al, LCR_8N1
    out dx, al
    mov edi, VGA_TEXT_PHYS
    mov ecx, VGA_COLUMNS * VGA_ROWS
    mov ax, (VGA_BUGCHECK << 8) | ' '
    rep stosw
    mov dword [PHYS(boot_vga_cursor)], VGA_TEXT_PHYS
    ret

; ESI = a NUL-terminated string.
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

; EAX as eight hex digits.
puthex:
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 0x0F
    mov al, [hex_digits + eax]
    call putc
    pop eax
    loop .digit
    ret

; AL to COM1 ("\n" as "\r\n") and to the VGA screen; every register kept.
putc:
    pushad
    cmp al, 10
    jne .serial
    mov al, 13
    call com1_putc
    mov al, 10
.serial:
    call com1_putc
    mov edi, [PHYS(boot_vga_cursor)]
    cmp al, 10
    jne .glyph
    mov eax, edi                        ; the start of the next row
    sub eax, VGA_TEXT_PHYS
    xor edx, edx
    mov ecx, VGA_COLUMNS * 2
    div ecx
    inc eax
    mul ecx
    lea edi, [eax + VGA_TEXT_PHYS]
    jmp .moved
.glyph:
    cmp edi, VGA_TEXT_PHYS + VGA_COLUMNS * VGA_ROWS * 2
    jae .moved                          ; the screen is full: COM1 still gets it
    mov ah, VGA_BUGCHECK
    mov [edi], ax
    add edi, 2
.moved:
    mov [PHYS(boot_vga_cursor)], edi
    popad
    ret

com1_putc:
    mov ah, al
    mov dx, COM1 + UART_LSR
.wait:
    in al, dx
    test al, LSR_THR_EMPTY
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    ret

; EBP = the multiboot information. Carry set if the command line has a word
; starting with "ktest" (ktest, ktest=GLOB, ktest.death=NAME).
is_test_boot:
    test dword [ebp], MULTIBOOT_INFO_CMDLINE
    jz .no
    mov esi, [ebp + MULTIBOOT_CMDLINE]
    test esi, esi
    jz .no
    mov edi, esi                        ; the line's start
.scan:
    cmp byte [esi], 0
    je .no
    cmp esi, edi
    je .word
    cmp byte [esi - 1], ' '
    jne .step
.word:
    cmp dword [esi], 'ktes'
    jne .step
    cmp byte [esi + 4], 't'
    je .yes
.step:
    inc esi
    jmp .scan
.yes:
    stc
    ret
.no:
    clc
    ret

hex_digits:     db "0123456789ABCDEF"
msg_stop:       db 10, "*** STOP: 0x", 0
msg_open:       db " (0x", 0
msg_comma:      db ",0x", 0
msg_name:       db ")", 10, "UNSUPPORTED_PROCESSOR", 10, 10, 0
msg_no_cpuid:   db "This processor has no CPUID instruction (an 80386 or an early 80486).", 10, 0
msg_lacks:      db "This processor lacks what mm386 relies on:", 0
msg_needs:      db "mm386 needs CPUID with PSE (4 MB pages), TSC (rdtsc), CX8 (cmpxchg8b) and", 10
                db "CMOV (cmovcc): a Pentium Pro or a later processor.", 10, 0
msg_verdict:    db "# ktest: verdict fail", 10, 0          ; kernel/ktest/ktest.c's KtestExit
msg_shutdown:   db "Shutdown", 0

feature_names:
    dd CPUID1_EDX_PSE, name_pse
    dd CPUID1_EDX_TSC, name_tsc
    dd CPUID1_EDX_CX8, name_cx8
    dd CPUID1_EDX_CMOV, name_cmov
    dd 0, 0
name_pse:       db " PSE", 0
name_tsc:       db " TSC", 0
name_cx8:       db " CX8", 0
name_cmov:      db " CMOV", 0

section .note.GNU-stack noalloc noexec nowrite progbits
