// What the host knows about time, behind one small interface: the boot id (so a
// reading's monotonic time is only ever compared within the boot it was taken in)
// and systemd-timesyncd's flag file. timesyncd creates the directory
// /run/systemd/timesync when it runs and touches `synchronized` in it once it has
// synced (systemd-timesyncd.service(8)); a container sees both only through a
// read-only bind mount of that directory.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
export const TIMESYNC_FLAG_FILE = '/run/systemd/timesync/synchronized';

export interface HostTime {
  /** This boot's id, or null where the kernel does not tell (not Linux). */
  bootId(): string | null;
  /** Whether the host's time-sync flag can be seen at all (timesyncd's directory is there). */
  syncVisible(): boolean;
  /** Whether the host says its clock is synchronized (the flag file exists). */
  synced(): boolean;
}

export class SystemHostTime implements HostTime {
  constructor(
    private readonly flagFile = TIMESYNC_FLAG_FILE,
    private readonly bootIdFile = BOOT_ID_FILE,
  ) {}

  bootId(): string | null {
    try {
      return readFileSync(this.bootIdFile, 'utf8').trim() || null;
    } catch {
      return null;
    }
  }

  syncVisible(): boolean {
    return existsSync(dirname(this.flagFile));
  }

  synced(): boolean {
    return existsSync(this.flagFile);
  }
}

/** A fake for tests: a fixed boot id, and a sync flag the test flips. */
export class FakeHostTime implements HostTime {
  constructor(
    public boot: string | null = 'fake-boot',
    public visible = false,
    public isSynced = false,
  ) {}

  bootId(): string | null {
    return this.boot;
  }

  syncVisible(): boolean {
    return this.visible;
  }

  synced(): boolean {
    return this.isSynced;
  }
}
