// Model files from a URL: streamed with progress (bytes done / total), all parts of a split GGUF
// (NAME-00001-of-0000N.gguf) into one buffer, and, where the Cache API exists (browsers, Workers), kept in
// a cache so that the next load reads it from there, offline too. Bytes out: loadModel parses them.
import { ggufSplitNames } from '../formats/gguf-split.js';

export interface DownloadProgress {
  /** Bytes received so far (all parts). */
  readonly loaded: number;
  /** Bytes in all (undefined when a server does not say). */
  readonly total: number | undefined;
  /** True when the bytes come from the cache, not the network. */
  readonly fromCache: boolean;
}

export interface UrlSource {
  readonly url: string | URL;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Cache API cache to keep the file in (default "dyadic-models"; false: no cache). Ignored where there is no Cache API. */
  readonly cache?: string | false;
  readonly signal?: AbortSignal;
  /** fetch to use (default globalThis.fetch). */
  readonly fetch?: typeof fetch;
}

export function isUrlSource(x: unknown): x is UrlSource {
  return x !== null && typeof x === 'object' && 'url' in x && (typeof (x as UrlSource).url === 'string' || (x as UrlSource).url instanceof URL);
}

/** The part URLs of `url`: itself, or every part when its file name is a split GGUF's. */
export function partUrls(url: URL): URL[] {
  const name = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  const names = ggufSplitNames(name);
  return names ? names.map((n) => new URL(encodeURIComponent(n), url)) : [url];
}

/** Downloads (or reads from the cache) every part of the model at `source.url`; views on one buffer, in order. */
export async function downloadModel(source: UrlSource): Promise<{ bytes: Uint8Array; file: string }[]> {
  const base = new URL(source.url, (globalThis as { location?: { href: string } }).location?.href);
  const urls = partUrls(base);
  const doFetch = source.fetch ?? globalThis.fetch;
  const cacheName = source.cache ?? 'dyadic-models';
  const store = cacheName !== false && typeof caches !== 'undefined' ? await caches.open(cacheName) : undefined;
  const responses: { response: Response; cached: boolean }[] = [];
  for (const url of urls) {
    const hit = await store?.match(url.href);
    if (hit) {
      responses.push({ response: hit, cached: true });
      continue;
    }
    const response = await doFetch(url.href, { signal: source.signal });
    if (!response.ok || !response.body) throw new Error(`dyadic: fetching ${url.href} failed: HTTP ${response.status}`);
    responses.push({ response, cached: false });
  }
  const lengths = responses.map(({ response }) => Number(response.headers.get('content-length') ?? NaN));
  const total = lengths.every((n) => Number.isSafeInteger(n) && n >= 0) ? lengths.reduce((a, b) => a + b, 0) : undefined;
  const fromCache = responses.every((r) => r.cached);
  let buffer = new Uint8Array(total ?? 1 << 20); // [capacity] grown if a server sent more than it announced
  let loaded = 0;
  const ends: number[] = [];
  source.onProgress?.({ loaded, total, fromCache });
  for (const { response } of responses) {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(Math.max(buffer.byteLength * 2, loaded + value.byteLength)); // [capacity]
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.byteLength;
      source.onProgress?.({ loaded, total, fromCache });
    }
    ends.push(loaded);
  }
  const parts = urls.map((url, i) => ({
    bytes: buffer.subarray(i === 0 ? 0 : ends[i - 1], ends[i]),
    file: decodeURIComponent(url.pathname.split('/').pop() ?? url.href),
  }));
  if (store) {
    await Promise.all(
      parts.map((p, i) =>
        responses[i].cached ? undefined : store.put(urls[i].href, new Response(p.bytes.slice(), { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(p.bytes.byteLength) } })),
      ),
    );
  }
  return parts;
}
