// The OpenAI Agents SDK, unchanged, against a running mesh (run by AgentClientsTest).
// Environment: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1, OPENAI_API_KEY=<gateway key>,
// OPENAI_AGENTS_DISABLE_TRACING=1. The agent has one function tool; the simulator answers
// the first turn with a call to it and the second with text.
import { Agent, run, tool } from '@openai/agents';

const getWeather = tool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
  execute: async ({ city }) => {
    console.log(`tool ran: get_weather(${city})`);
    return `5 degrees and rain in ${city}`;
  },
});

const agent = new Agent({
  name: 'Weather assistant',
  instructions: 'Answer with the weather tool.',
  tools: [getWeather],
});

const result = await run(agent, 'What is the weather in Oslo?');
console.log(`final output: ${result.finalOutput}`);
