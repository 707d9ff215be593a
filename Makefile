# mm386 — every entry point of the project.
#
#   make            build build/mm386.elf and build/mm386.iso (installing missing tools first;
#                   DEBUG=1: -Og -g3 into build-debug/)
#   make run        boot the ISO in QEMU, COM1 on this terminal (ARGS="/3GB" adds switches;
#                   GDB=1 opens the gdb server, KD=file types kd> commands, NOMENU=1 skips GRUB's menu)
#   make gdb        attach gdb, with the mm-* commands, to a `make run GDB=1` (make qemu-gdb is xv6's name)
#   make test       boot every test configuration and report "N passed, N failed"
#   make test-bochs the same matrix under Bochs, the second emulator
#   make bench      boot under -icount and print guest instructions per operation
#   make debug      QEMU stopped at the kernel entry, gdb attached with symbols
#   make lab-start LAB=syspte|hyperspace|pool   a lab (docs/labs/): the mechanism's file to write;
#   make grade LAB=...  its score;  make lab-reset LAB=...  the reference back
#   make docs       make every kd> and gdb transcript in README.md and docs/ again from a fresh boot
#   make diagrams   redraw docs/layout-*.svg from the kernel's boot layout table, docs/vad-tree.svg from !vad
#   make deps       install the Debian packages the build needs (every target runs it first)
#   make clean      remove build/ and build-debug/

CROSS    ?= i686-linux-gnu-
CC       := $(CROSS)gcc
NM       := $(CROSS)nm
OBJCOPY  := $(CROSS)objcopy
NASM     ?= nasm
PYTHON   ?= python3
QEMU     ?= qemu-system-i386
# The gdb program (GDB=1 is `make run`'s switch for the gdb server, so the program has its own name).
GDB_PROGRAM ?= gdb
# make DEBUG=1: -Og -g3 into build-debug/ (locals live, no inlining to step
# through, macros in gdb); the default is the optimised build in build/.
DEBUG    ?=
ifeq ($(DEBUG),1)
BUILD    := build-debug
# -Og's register allocation makes -Wclobbered see setjmp hazards where the
# value cannot change between EX_TRY and a longjmp (GCC bug 21161); the
# optimised build keeps the warning.
OPTIMIZE := -Og -g3 -Wno-clobbered
else
BUILD    := build
OPTIMIZE := -O2 -g
endif
ARGS     ?=
MEM      ?= 128M

# The kernel never touches FPU/SIMD state: -mgeneral-regs-only keeps gcc off
# those registers, so traps need not save them. Debian's gcc builds PIE,
# stack-protected, CET-instrumented code by default; all three are switched off.
CFLAGS := -std=gnu11 -m32 -march=i686 $(OPTIMIZE) \
          -Wall -Wextra -Werror -Wno-unused-parameter \
          -ffreestanding -nostdlib -fno-pie -fno-pic -fno-stack-protector \
          -fcf-protection=none -mgeneral-regs-only -fno-omit-frame-pointer \
          -fno-strict-aliasing -fno-delete-null-pointer-checks \
          -fno-asynchronous-unwind-tables -fno-common \
          -Iinclude -I. -I$(BUILD)/gen
NASMFLAGS := -f elf32 -I$(BUILD)/gen/ -I./
LDFLAGS  := -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,linker.ld \
            -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
LIBGCC   := $(shell $(CC) -m32 -print-libgcc-file-name 2>/dev/null)

SRC_C    := $(sort $(filter-out tests/user/%,$(wildcard boot/*.c hal/*.c drivers/*.c kernel/*.c kernel/*/*.c mm/*.c \
                                                       tests/*.c tests/*/*.c)))
# A lab in progress (make lab-start, tools/labs.py, docs/labs/) leaves out the tests of the reference's
# own internals, which the lab's files need not have.
LAB_ACTIVE := $(strip $(shell cat .lab-active 2>/dev/null))
LAB_EXCLUDE_syspte := tests/mm/syspte.c
SRC_C    := $(filter-out $(LAB_EXCLUDE_$(LAB_ACTIVE)),$(SRC_C))
SRC_ASM  := $(sort $(wildcard boot/*.asm hal/*.asm kernel/*.asm kernel/*/*.asm))
OBJS     := $(patsubst %,$(BUILD)/obj/%.o,$(SRC_C) $(SRC_ASM))

KERNEL   := $(BUILD)/mm386.elf
ISO      := $(BUILD)/mm386.iso

DEBIAN_PACKAGES := gcc-i686-linux-gnu binutils-i686-linux-gnu nasm grub-pc-bin \
                   grub-common xorriso mtools qemu-system-x86 gdb python3 python3-pyelftools \
                   bochs bochsbios vgabios
# tools/gentypes.py reads DWARF with pyelftools: the first of these Pythons that has it.
PYTHON_ELF ?= $(firstword $(foreach p,$(PYTHON) /usr/bin/python3,$(shell $(p) -c 'import elftools' 2>/dev/null && echo $(p))) $(PYTHON))
DEP_TOOLS := $(CC) $(NM) nasm grub-mkrescue xorriso mformat $(QEMU) $(GDB_PROGRAM) python3 bochs
# Files, not commands, that the packages above provide (the Bochs BIOS and VGA BIOS).
DEP_FILES := /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin

# `make test` boots a small randomised sweep beside the fixed matrix; SEED=N
# repeats one (the runner prints the seed it chose).
SWEEP    ?= 2
SEED     ?=

.PHONY: all iso run qemu-gdb gdb test test-bochs bench debug docs diagrams deps clean lab-start lab-reset grade FORCE
all: $(KERNEL) $(ISO)
iso: $(ISO)

# Objects depend on the Makefile so that a change of flags rebuilds them, and
# wait for `make deps` (order-only: it never makes them out of date), so a
# plain `make` on a fresh machine installs the toolchain first.
$(OBJS): Makefile | deps
$(BUILD)/gen/kernel.inc $(BUILD)/ksyms-empty.c: | deps

# The list of objects, rewritten only when it changes: the link depends on
# it, so deleting or renaming a source file relinks the kernel without the
# stale object (which no longer appears in OBJS).
OBJLIST := $(BUILD)/objects.list
$(OBJLIST): FORCE
	@mkdir -p $(dir $@)
	@echo '$(OBJS)' | cmp -s - $@ 2>/dev/null || echo '$(OBJS)' > $@

$(BUILD)/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/kernel.inc: include/x86.h include/layout.h tools/h2inc.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/h2inc.py include/x86.h include/layout.h -o $@

# The system-service table, generated from the one list the user runtime's stubs come from too.
$(BUILD)/gen/kiservices.h: kernel/ke/services.list tools/gensvc.py
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/gensvc.py kernel/ke/services.list --kernel $@
$(BUILD)/obj/kernel/ke/syscall.c.o: $(BUILD)/gen/kiservices.h

$(BUILD)/obj/%.asm.o: %.asm $(BUILD)/gen/kernel.inc
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	@$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# The symbol table for backtraces is embedded in the image: pass 1 links with
# an empty table, the table is generated from pass 1's text symbols, pass 2
# links with it. .ksyms sits after .text and .rodata, so pass 2's code lands
# where pass 1's did; tools/gensyms.py --check proves it on every build.
$(BUILD)/ksyms-empty.c: tools/gensyms.py
	@mkdir -p $(BUILD)
	@$(PYTHON) tools/gensyms.py --empty -o $@

$(BUILD)/ksyms.c: $(BUILD)/mm386-pass1.elf tools/gensyms.py
	@$(PYTHON) tools/gensyms.py --nm $(NM) $< -o $@

$(BUILD)/%.o: $(BUILD)/%.c
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# The structure layouts kd>'s dt prints come from pass 1's DWARF the same way
# (tools/gentypes.py, with pyelftools), into .ksyms too.
$(BUILD)/kdtypes-empty.c: tools/gentypes.py
	@mkdir -p $(BUILD)
	@$(PYTHON) tools/gentypes.py --empty -o $@

$(BUILD)/kdtypes.c: $(BUILD)/mm386-pass1.elf tools/gentypes.py
	@echo "  TYPES   $@"
	@$(PYTHON_ELF) tools/gentypes.py $< -o $@

$(BUILD)/mm386-pass1.elf: $(OBJS) $(OBJLIST) $(BUILD)/ksyms-empty.o $(BUILD)/kdtypes-empty.o linker.ld
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(OBJS) $(BUILD)/ksyms-empty.o $(BUILD)/kdtypes-empty.o $(LIBGCC)

$(KERNEL): $(OBJS) $(OBJLIST) $(BUILD)/ksyms.o $(BUILD)/kdtypes.o linker.ld tools/check_image.py
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@.tmp $(OBJS) $(BUILD)/ksyms.o $(BUILD)/kdtypes.o $(LIBGCC)
	@$(PYTHON) tools/gensyms.py --nm $(NM) --check $(BUILD)/mm386-pass1.elf $@.tmp
	@$(PYTHON) tools/check_image.py $@.tmp
	@mv $@.tmp $@

# ---------------------------------------------------------------- ring 3
# Ring 3: ntdll.dll (user/ntdll, the generated service stubs and the
# kernel's RTL compiled again), a PE DLL at NT's fixed base that the kernel
# maps into every process; and the programs, user/programs/NAME.c and the
# user-mode tests tests/user/NAME.c, each a PE32 native image linked by the
# same binutils (ld -m i386pe) with user/crt (entry point, printf) and
# importing the rest from ntdll.dll (ld links against the DLL itself and
# writes the import table; --disable-auto-import refuses a data import).
# Every image becomes a boot module, opened by the kernel as \Boot\NAME. -fstack-clash-protection probes every page of
# a frame larger than a page as it is allocated, as NT's compilers do with
# _chkstk: a user stack grows one guard page at a time (mm/pagfault.c), and
# a frame that stepped over its guard page would fault in reserved memory.
LD       := $(CROSS)ld
USER_CFLAGS := -std=gnu11 -m32 -march=i686 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
               -ffreestanding -nostdlib -fno-pie -fno-pic -fno-stack-protector -fcf-protection=none \
               -mgeneral-regs-only -fno-omit-frame-pointer -fno-strict-aliasing -fno-common \
               -fno-asynchronous-unwind-tables -fno-ident -fstack-clash-protection \
               -Iuser/include -Iinclude -I. -I$(BUILD)/gen
USER_LDFLAGS := -m i386pe --no-leading-underscore --subsystem native --image-base 0x00400000 -e NtProcessStartup \
                --file-alignment 0x200 --section-alignment 0x1000 --strip-debug
NTDLL_BASE := 0x7c900000
NTDLL_SRC := $(sort $(wildcard user/ntdll/*.c)) kernel/rtl/rtl.c kernel/rtl/format.c
NTDLL_OBJS := $(patsubst %,$(BUILD)/user/obj/%.o,$(NTDLL_SRC) $(wildcard user/ntdll/*.asm)) \
              $(BUILD)/user/obj/ntstubs.asm.o
NTDLL := $(BUILD)/user/ntdll.dll
CRT_OBJS := $(patsubst %,$(BUILD)/user/obj/%.o,$(sort $(wildcard user/crt/*.c)))
# libgcc's 64-bit division helpers, linked as objects: ld's PE output does not search an ELF archive's index.
USER_LIBGCC_OBJS := $(addprefix $(BUILD)/user/libgcc/,_divdi3.o _moddi3.o _divmoddi4.o _udivdi3.o _umoddi3.o \
                                                    _udivmoddi4.o)
USER_IMAGES := $(NTDLL) $(patsubst user/programs/%.c,$(BUILD)/user/%.exe,$(wildcard user/programs/*.c)) \
               $(patsubst tests/user/%.c,$(BUILD)/user/%.exe,$(wildcard tests/user/*.c)) \
               $(BUILD)/user/missingimport.exe $(BUILD)/user/missingordinal.exe $(BUILD)/user/missingdll.exe \
               $(BUILD)/user/hugecommit.exe $(BUILD)/user/hugereserve.exe

$(BUILD)/gen/ntstubs.asm $(BUILD)/gen/ntstubs.h $(BUILD)/gen/ntdll.def: kernel/ke/services.list tools/gensvc.py \
                                                                    user/ntdll/ntdll.def
	@mkdir -p $(BUILD)/gen
	@$(PYTHON) tools/gensvc.py kernel/ke/services.list --stubs $(BUILD)/gen/ntstubs.asm --header $(BUILD)/gen/ntstubs.h \
	        --def $(BUILD)/gen/ntdll.def --def-base user/ntdll/ntdll.def

$(BUILD)/user/obj/%.c.o: %.c $(BUILD)/gen/ntstubs.h Makefile
	@mkdir -p $(dir $@)
	@echo "  CC3     $<"
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/user/obj/%.asm.o: %.asm Makefile
	@mkdir -p $(dir $@)
	@echo "  NASM3   $<"
	@$(NASM) -f elf32 $< -o $@

$(USER_LIBGCC_OBJS) &: $(LIBGCC)
	@mkdir -p $(BUILD)/user/libgcc
	@cd $(BUILD)/user/libgcc && $(CROSS)ar x $(LIBGCC) $(notdir $(USER_LIBGCC_OBJS))

$(BUILD)/user/obj/ntstubs.asm.o: $(BUILD)/gen/ntstubs.asm
	@mkdir -p $(dir $@)
	@$(NASM) -f elf32 $< -o $@

# Two test programs with links of their own: one large-address-aware, one whose preferred base is taken.
$(BUILD)/user/bigaddress.exe: USER_LDFLAGS += --large-address-aware
$(BUILD)/user/relocated.exe: USER_LDFLAGS += --image-base 0x7ffe0000

# ntdll.dll: no entry point (NT's has none); the names it exports are build/gen/ntdll.def's.
$(NTDLL): $(NTDLL_OBJS) $(USER_LIBGCC_OBJS) $(BUILD)/gen/ntdll.def
	@echo "  LD DLL  $@"
	@$(LD) $(filter-out --image-base 0x00400000 -e NtProcessStartup,$(USER_LDFLAGS)) --dll --image-base $(NTDLL_BASE) \
	       -e 0 -o $@ $(NTDLL_OBJS) $(USER_LIBGCC_OBJS) $(BUILD)/gen/ntdll.def

# The smallest image: the service stubs alone, no runtime, no imports (its entry point is its own).
$(BUILD)/user/exit0.exe: $(BUILD)/user/obj/user/programs/exit0.c.o $(BUILD)/user/obj/ntstubs.asm.o
	@echo "  LD PE   $@"
	@$(LD) $(USER_LDFLAGS) -o $@ $^

# exit0's code with stack sizes near 4 GB in its header (tests/ps/process.c: the sizes must not wrap round).
$(BUILD)/user/hugecommit.exe: STACK_SIZES := --stack 0x100000,0xfffff000
$(BUILD)/user/hugereserve.exe: STACK_SIZES := --stack 0xffff0000,0x1000
$(BUILD)/user/hugecommit.exe $(BUILD)/user/hugereserve.exe: $(BUILD)/user/obj/user/programs/exit0.c.o \
                                                            $(BUILD)/user/obj/ntstubs.asm.o
	@echo "  LD PE   $@"
	@$(LD) $(USER_LDFLAGS) $(STACK_SIZES) -o $@ $^

# Programs that must not start (user/broken/images.c): linked against stand-in DLLs' import libraries.
BROKEN_IMAGES := $(BUILD)/user/missingimport.exe $(BUILD)/user/missingordinal.exe $(BUILD)/user/missingdll.exe
$(BUILD)/user/broken/%.a: user/broken/%.def $(BUILD)/user/obj/user/broken/stand-in.c.o
	@mkdir -p $(dir $@)
	@$(LD) $(filter-out --image-base 0x00400000 -e NtProcessStartup,$(USER_LDFLAGS)) --dll -e 0 \
	       --out-implib $@ -o $(BUILD)/user/broken/$*.dll $(BUILD)/user/obj/user/broken/stand-in.c.o $<
$(BUILD)/user/broken/images-%.o: user/broken/images.c $(BUILD)/gen/ntstubs.h Makefile
	@mkdir -p $(dir $@)
	@$(CC) $(USER_CFLAGS) -DBROKEN_$(shell echo $* | tr a-z A-Z) -c $< -o $@
$(BUILD)/user/missingimport.exe: $(BUILD)/user/broken/images-import.o $(BUILD)/user/broken/ntdll.a
$(BUILD)/user/missingordinal.exe: $(BUILD)/user/broken/images-ordinal.o $(BUILD)/user/broken/ntdll.a
$(BUILD)/user/missingdll.exe: $(BUILD)/user/broken/images-dll.o $(BUILD)/user/broken/nosuch.a
$(BROKEN_IMAGES):
	@echo "  LD PE   $@"
	@$(LD) $(USER_LDFLAGS) --disable-auto-import -o $@ $^

$(BUILD)/user/%.exe: $(BUILD)/user/obj/user/programs/%.c.o $(CRT_OBJS) $(USER_LIBGCC_OBJS) $(NTDLL)
	@echo "  LD PE   $@"
	@$(LD) $(USER_LDFLAGS) --disable-auto-import -o $@ $< $(CRT_OBJS) $(USER_LIBGCC_OBJS) $(NTDLL)

$(BUILD)/user/%.exe: $(BUILD)/user/obj/tests/user/%.c.o $(BUILD)/user/obj/user/utest/utest.c.o $(CRT_OBJS) \
                     $(USER_LIBGCC_OBJS) $(NTDLL)
	@echo "  LD PE   $@"
	@$(LD) $(USER_LDFLAGS) --disable-auto-import -o $@ $< $(BUILD)/user/obj/user/utest/utest.c.o $(CRT_OBJS) \
	       $(USER_LIBGCC_OBJS) $(NTDLL)

all: $(USER_IMAGES)
.SECONDARY: $(NTDLL_OBJS) $(CRT_OBJS) $(BUILD)/user/obj/user/utest/utest.c.o
-include $(shell find $(BUILD)/user/obj -name '*.d' 2>/dev/null)

# Every boot's modules (tools/bootmodules.py names the same files for the runner).
BOOT_MODULES := tests/data/bootmod.txt $(sort $(USER_IMAGES))

$(ISO): $(KERNEL) iso/grub.cfg tools/mkiso.py $(BOOT_MODULES) | deps
	@echo "  ISO     $@"
	@$(PYTHON) tools/mkiso.py --kernel $(KERNEL) --cfg iso/grub.cfg $(addprefix --module=,$(BOOT_MODULES)) -o $@

deps:
	@missing=""; for t in $(DEP_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	$(PYTHON_ELF) -c 'import elftools' 2>/dev/null || missing="$$missing python3-pyelftools"; \
	for f in $(DEP_FILES); do [ -e $$f ] || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing — installing Debian packages"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $(DEBIAN_PACKAGES); \
	fi

# make run [GDB=1] [KD=script.txt] [NOMENU=1] [ARGS=...] [MEM=...]: tools/run.py says what each does.
run: deps
	$(MAKE) all
	$(PYTHON) tools/run.py --kernel $(KERNEL) --iso $(BUILD)/mm386-run.iso $(addprefix --module=,$(BOOT_MODULES)) \
	        --args "$(ARGS)" --mem $(MEM) $(if $(filter 1,$(GDB)),--gdb) $(if $(KD),--kd $(KD)) \
	        $(if $(filter 1,$(NOMENU)),--nomenu)

# xv6's name for the same: the console here, the gdb server for `make gdb`.
qemu-gdb:
	$(MAKE) run GDB=1

# Attaches gdb to a `make run GDB=1` in another terminal, with the mm-* commands.
gdb:
	$(PYTHON) tools/debug.py --attach --kernel $(KERNEL) --gdb $(GDB_PROGRAM)

test: deps
	$(MAKE) all
	$(PYTHON) tools/runtests.py --kernel $(KERNEL) --iso $(ISO) --sweep $(SWEEP) $(if $(SEED),--seed $(SEED))

test-bochs: deps
	$(MAKE) all
	OBJCOPY=$(OBJCOPY) $(PYTHON) tools/runtests.py --kernel $(KERNEL) --emulator bochs

bench: deps
	$(MAKE) all
	$(PYTHON) tools/bench.py --kernel $(KERNEL) --update docs/PERFORMANCE.md

debug: deps
	$(MAKE) all
	$(PYTHON) tools/debug.py --kernel $(KERNEL) --mem $(MEM) --args "$(ARGS)" --gdb $(GDB_PROGRAM)

# The labs (docs/labs/, tools/labs.py): LAB=syspte|hyperspace|pool.
lab-start:
	$(PYTHON) tools/labs.py start $(LAB) $(if $(filter 1,$(FORCE)),--force)

lab-reset:
	$(PYTHON) tools/labs.py reset $(LAB)

grade: deps
	$(MAKE) $(KERNEL)
	$(PYTHON) tools/labs.py grade $(LAB) --kernel $(KERNEL)

# Every kd> and gdb transcript in README.md and docs/ made again from a fresh boot (tools/docs.py).
docs: deps
	$(MAKE) all
	$(PYTHON) tools/docs.py --kernel $(KERNEL) --write

diagrams: deps
	$(MAKE) all
	$(PYTHON) tools/layoutsvg.py --kernel $(KERNEL) --write docs
	$(PYTHON) tools/vadsvg.py --kernel $(KERNEL) --write docs

clean:
	rm -rf build build-debug

-include $(OBJS:.o=.d)
