// What an application built on the OpenAI Agents SDK sees when the mesh refuses a turn, and
// that it carries on afterwards (run by AgentRefusalsTest). Environment as for agent.mjs, plus
// REFUSED_MODEL (the model the refused turn asks for) and REFUSED_HEADERS (a JSON object of
// extra request headers, e.g. a routing hint) for the first turn only.
import OpenAI from 'openai';
import { Agent, OpenAIProvider, Runner } from '@openai/agents';

const instructions = 'Be brief.';
// A runner per client: the SDK's default provider keeps the first client it was given.
const runner = (options) => new Runner({
  modelProvider: new OpenAIProvider({ openAIClient: new OpenAI(options) }),
});
try {
  const result = await runner({
    defaultHeaders: JSON.parse(process.env.REFUSED_HEADERS ?? '{}'),
  }).run(new Agent({ name: 'Assistant', instructions,
    model: process.env.REFUSED_MODEL || undefined }), 'Say hello');
  // A rate limit is waited out (Retry-After) rather than refused.
  console.log(`answered: ${result.finalOutput}`);
} catch (e) {
  const api = e instanceof OpenAI.APIError ? e : e.cause;
  console.log(`refused: ${api?.constructor?.name ?? e.constructor.name} status=${api?.status}`
    + ` code=${api?.code} x-should-retry=${api?.headers?.get?.('x-should-retry') ?? null}`
    + ` message=${api?.message ?? e.message}`);
}

// The same process, a turn without what was refused: the application's session goes on.
const next = await runner({}).run(new Agent({ name: 'Assistant', instructions }),
  'Say hello again');
console.log(`final output: ${next.finalOutput}`);
