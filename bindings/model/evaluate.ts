// Perplexity protocol of ../shared/models/README.md: split the text into stories at <|endoftext|>,
// score each from position 0 with a fresh cache (BOS + dummy prefix, truncated to the context, 512 for
// stories260K), and average the negative log-likelihood over every predicted token.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { LanguageModel } from './language-model.js';

export const STORY_SEPARATOR = '<|endoftext|>';

/** Non-empty stories of a text file, trimmed. */
export function splitStories(text: string): string[] {
  return text
    .split(STORY_SEPARATOR)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** -log softmax(logits * scale)[target], computed in float64 with the max subtracted. */
export function negativeLogLikelihood(logits: ArrayLike<number>, target: number, scale = 1): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] - max) * scale);
  return Math.log(sum) - (logits[target] - max) * scale;
}

export interface StoryScore {
  /** Sum of NLL over the predicted tokens (all but the first). */
  readonly nllSum: number;
  readonly predicted: number;
}

/** Scores one story: tokens[i+1] is predicted from the logits after tokens[0..i]. */
export function scoreTokens(model: LanguageModel, tokens: number[]): StoryScore {
  const n = Math.min(tokens.length, model.maxPositions);
  if (n < 2) return { nllSum: 0, predicted: 0 };
  let nllSum = 0;
  model.prefill(tokens.slice(0, n - 1), 0, (i, logits) => {
    nllSum += negativeLogLikelihood(logits, tokens[i + 1], model.logitScale ?? 1);
  });
  return { nllSum, predicted: n - 1 };
}

export interface EvalResult {
  readonly meanNll: number;
  readonly perplexity: number;
  readonly tokens: number;
  readonly stories: number;
}

export function evaluate(
  model: LanguageModel,
  tokenizer: Tokenizer,
  stories: string[],
  onStory?: (done: number, total: number) => void,
): EvalResult {
  let nll = 0;
  let count = 0;
  stories.forEach((story, i) => {
    const s = scoreTokens(model, tokenizer.encode(story, { bos: true }));
    nll += s.nllSum;
    count += s.predicted;
    onStory?.(i + 1, stories.length);
  });
  const meanNll = count > 0 ? nll / count : NaN;
  return { meanNll, perplexity: Math.exp(meanNll), tokens: count, stories: stories.length };
}
