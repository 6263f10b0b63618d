// `dyadic chat` with its input piped: each line is a user turn, each answer one line on stdout, equal
// to the library's chat() for the same conversation (the second turn sees the first answer).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chat, createChatEngine, loadModelFromPath } from '../../dist/entry/node.js';
import { writeChatModel } from '../helpers/chat-model.js';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function run(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('dyadic chat', () => {
  it('answers each line as the library does, keeps the conversation, /reset forgets it', async () => {
    const model = writeChatModel();
    const engine = await createChatEngine(loadModelFromPath(model), { mode: 'w8a8' });
    // A fixed --seed S samples turn i with seed S + i (reproducible, not the same draw every turn).
    const o = (seed: number) => ({ maxTokens: 6, temperature: 0.9, topP: 0.95, seed });
    const first = await chat(engine, [{ role: 'user', content: 'Hi' }], o(7)).text();
    const second = await chat(engine, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: first }, { role: 'user', content: 'More?' }], o(8)).text();
    const third = await chat(engine, [{ role: 'user', content: 'Hi' }], o(9)).text();
    const r = await run(['chat', '-m', model, '--mode', 'w8a8', '-n', '6', '--temp', '0.9', '--top-p', '0.95', '--seed', '7'], 'Hi\nMore?\n/reset\nHi\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${first}\n${second}\n${third}\n`);
    expect(new Set([first, second, third]).size).toBeGreaterThan(1);
  });

  it('names a bad flag', async () => {
    const r = await run(['chat', '-m', writeChatModel(), '-n', '0'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-n 0 must be a positive integer/);
  });
});
