/** An entry's modification time in the two forms its headers carry. */

/** MS-DOS date and time (APPNOTE 4.4.6): local time, two-second steps, years 1980–2107 only. */
export interface DosDateTime {
  date: number;
  time: number;
}

const firstDosDate = new Date(1980, 0, 1, 0, 0, 0);
const lastDosDate = new Date(2107, 11, 31, 23, 59, 58);

/** Local time by convention: readers without the extended timestamp show these fields as they are. */
export function dosDateTime(when: Date): DosDateTime {
  // Out of range the bit fields would wrap into a wrong but plausible date; the nearest end is less surprising.
  const clamped = when < firstDosDate ? firstDosDate : when > lastDosDate ? lastDosDate : when;
  return {
    date: ((clamped.getFullYear() - 1980) << 9) | ((clamped.getMonth() + 1) << 5) | clamped.getDate(),
    time: (clamped.getHours() << 11) | (clamped.getMinutes() << 5) | Math.floor(clamped.getSeconds() / 2),
  };
}

/**
 * Seconds since the epoch for the extended timestamp field, which holds a signed 32-bit value
 * (Info-ZIP extrafld.txt); `undefined` outside 1901–2038, where the field is better left out.
 */
export function unixSeconds(when: Date): number | undefined {
  const seconds = Math.floor(when.getTime() / 1000);
  return seconds >= -0x80000000 && seconds <= 0x7fffffff ? seconds : undefined;
}
