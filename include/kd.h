/*
 * include/kd.h — the kd> prompt on COM1.
 *
 * Commands register themselves with KD_COMMAND in the .kdcmd section, the
 * same way tests do, so a subsystem adds its own extension command (!pte,
 * !pool ...) in its own file. A command gets its arguments split on blanks
 * and reads them with the KdCheck and KdParse helpers below, which report
 * every mistake. docs/KD.md describes every command with example output.
 */
#ifndef MM386_KD_H
#define MM386_KD_H

#include <ke.h>

#define KD_MAX_ARGS 64      /* words of one line: all a typed line can hold (127 characters) */

typedef struct _KD_COMMAND {
    const char *Name;
    const char *Usage;
    const char *Help;
    void (*Routine)(int Argc, char **Argv);
} KD_COMMAND;

#define KD_COMMAND(ident, name, usage, help)                                    \
    static void kdcmd_##ident(int Argc, char **Argv);                          \
    static const KD_COMMAND kdcmd_entry_##ident                                \
        __attribute__((section(".kdcmd"), used, aligned(4))) = {               \
            name, usage, help, kdcmd_##ident                                   \
        };                                                                     \
    static void kdcmd_##ident(int Argc UNUSED, char **Argv UNUSED)

/*
 * Reads lines from COM1 and runs them until `quit` or `reboot`. Backspace
 * or DEL erases, Ctrl-U clears the line, Ctrl-C cancels it.
 */
NORETURN void KdRunPrompt(void);
/* Runs one command line as if typed at the prompt. Modifies Line (splits it into words). */
void KdExecute(char *Line);

/*
 * Reading arguments (kernel/kd/args.c). Every command checks its arguments
 * with these: each reports a mistake on the console, naming the command and
 * the argument, and returns false; the command then stops without acting.
 * Argc and Argv are the command's own (Argv[0] is its name).
 */

/* Argc - 1 must be Minimum..Maximum; a missing argument is named from the command's usage. */
bool KdCheckArgumentCount(int Argc, char **Argv, int Minimum, int Maximum);
/* The same against another usage text (a subcommand's: "free VA [TAG]", words after the name). */
bool KdCheckArguments(int Argc, char **Argv, int Minimum, int Maximum, const char *Usage);
/* Prints "usage: NAME USAGE" for the running command. */
void KdPrintUsage(const char *Usage);
/* A hex number, with or without 0x, at most 32 bits; What names the argument in the message. */
bool KdParseNumber(const char *Text, const char *What, ULONG *Value);
/*
 * An address: a hex number, or the name of a kernel function from the
 * embedded symbol table with an optional +hex offset (KiSystemStartup+10).
 */
bool KdParseAddress(const char *Text, const char *What, ULONG *Value);
/* The number rules of KdParseNumber without a message: false if Text is not one. */
bool KdParseHex(const char *Text, ULONG *Value);

#endif
