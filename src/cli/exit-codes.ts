// The process's exit codes (sysexits.h), one home for the CLI and the daemon's start-up.

/** A bad command line. */
export const EX_USAGE = 64;
/** A bug: an exception nothing caught. systemd restarts; a loop of them rolls an update back. */
export const EX_SOFTWARE = 70;
/** Bad configuration: the units' RestartPreventExitStatus=78 stops a restart loop that cannot help. */
export const EX_CONFIG = 78;
