// Addresses as people copy them from listings and register views: hex, with or without 0x / $ / h
// (7C1A, 0x7c1a, 7c1ah), or segment:offset (0000:7C1A, 07C0:001A), which is segment * 16 + offset.
// Bare digits are hex too, as everywhere else an address is shown in this extension.

export function parseAddress(text: string): number | undefined {
  const value = text.trim();
  const segmented = /^([0-9a-f]{1,4})h?:([0-9a-f]{1,8})h?$/i.exec(value);
  if (segmented) return parseInt(segmented[1], 16) * 16 + parseInt(segmented[2], 16);
  const match = /^(?:0x|\$)?([0-9a-f]{1,8})h?$/i.exec(value);
  return match ? parseInt(match[1], 16) : undefined;
}

export function formatAddress(linear: number): string {
  return `0x${linear.toString(16).toUpperCase().padStart(5, '0')}`;
}
