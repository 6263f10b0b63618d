// A one-line progress bar on a terminal's stderr, rewritten in place (nothing when stderr is not a
// terminal): for model downloads.
import type { DownloadProgress } from '../model/download.js';

const MiB = 2 ** 20;

/** A DownloadProgress listener drawing `label [#####.....] 12.0/85.3 MiB`, or undefined off a terminal. */
export function downloadBar(label: string, stream: NodeJS.WriteStream = process.stderr): ((p: DownloadProgress) => void) | undefined {
  if (stream.isTTY !== true) return undefined;
  let last = 0;
  return ({ loaded, total, fromCache }) => {
    const now = Date.now();
    const end = total !== undefined && loaded >= total;
    if (!end && now - last < 100) return;
    last = now;
    const width = 30;
    const filled = total ? Math.round((Math.min(loaded, total) / total) * width) : 0;
    const amount = `${(loaded / MiB).toFixed(1)}${total !== undefined ? `/${(total / MiB).toFixed(1)}` : ''} MiB`;
    stream.write(`\r${label}${fromCache ? ' (cache)' : ''} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${amount}${end ? '\n' : ''}`);
  };
}
