// The chat page: a model from a URL (downloaded with progress and kept in the Cache API, so the next visit
// loads it offline) or a local file, then dyadic's chat() streaming the answer into the page; Stop aborts
// it between two tokens. ?model=URL loads that model at once.
import { loadModel, createChatEngine, chat } from 'dyadic';

const $ = (id) => document.getElementById(id);
const status = (text, state) => {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
};
const MiB = (n) => (n / 2 ** 20).toFixed(1);

let engine;
let messages = [];
let answering;

async function useModel(load, name) {
  engine = undefined;
  $('send').disabled = true;
  status(`loading ${name}…`, 'loading');
  try {
    const model = await load();
    $('progress').value = 1;
    engine = await createChatEngine(model, { mode: $('mode').value });
    messages = [];
    $('messages').replaceChildren();
    const format = engine.format.hasTemplate ? 'its chat template' : 'the plain chat format';
    status(`${model.file}: mode ${engine.model.mode}, ${engine.model.backend}, ${format}${document.body.dataset.cached === 'true' ? ' · from the cache' : ''}`, 'ready');
    $('send').disabled = false;
  } catch (e) {
    status(`could not load ${name}: ${e.message}`, 'error');
  }
}

function loadFromUrl(url) {
  return useModel(
    () =>
      loadModel({
        url,
        onProgress: ({ loaded, total, fromCache }) => {
          document.body.dataset.cached = String(fromCache);
          $('progress').value = total ? loaded / total : 0;
          status(`${fromCache ? 'reading the cached' : 'downloading'} ${url}: ${MiB(loaded)}${total ? ` / ${MiB(total)}` : ''} MiB`);
        },
      }),
    url,
  );
}

$('loadUrl').addEventListener('click', () => loadFromUrl($('url').value));
$('file').addEventListener('change', () => {
  const file = $('file').files[0];
  if (!file) return;
  document.body.dataset.cached = 'false';
  useModel(async () => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    $('progress').value = 1;
    return loadModel({ bytes, file: file.name });
  }, file.name);
});
$('reset').addEventListener('click', () => {
  messages = [];
  $('messages').replaceChildren();
});
$('stop').addEventListener('click', () => answering?.abort());

function bubble(role, text) {
  const div = document.createElement('div');
  div.className = `message ${role}`;
  div.textContent = text;
  $('messages').append(div);
  return div;
}

$('ask').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('input').value.trim();
  if (!engine || !text || answering) return;
  $('input').value = '';
  messages.push({ role: 'user', content: text });
  bubble('user', text);
  const out = bubble('assistant', '');
  answering = new AbortController();
  $('send').disabled = true;
  $('stop').disabled = false;
  document.body.dataset.state = 'answering';
  const started = performance.now();
  let reply = '';
  let note = '';
  const stream = chat(engine, messages, {
    maxTokens: Number($('maxTokens').value),
    temperature: Number($('temperature').value),
    topP: Number($('topP').value),
    seed: Number($('seed').value) + messages.length,
    signal: answering.signal,
  });
  try {
    for await (const piece of stream) {
      reply += piece;
      out.textContent = reply;
    }
    note = stream.finishReason === 'length' ? 'stopped at max tokens' : 'end of turn';
  } catch (e) {
    note = answering.signal.aborted ? 'stopped' : `error: ${e.message}`;
  }
  messages.push({ role: 'assistant', content: reply });
  const seconds = (performance.now() - started) / 1000;
  status(`${stream.completionTokens} tokens in ${seconds.toFixed(1)} s (${(stream.completionTokens / seconds).toFixed(0)} tokens/s) · ${note}`, 'ready');
  answering = undefined;
  $('send').disabled = false;
  $('stop').disabled = true;
});

const preset = new URLSearchParams(location.search).get('model');
if (preset) {
  $('url').value = preset;
  loadFromUrl(preset);
}
