// An OpenAI Agents SDK application in a tool loop, for the agent tool-loop chaos scenario
// (AgentToolLoopChaosTest). Environment as for agent.mjs, plus TOOL_LOG: the file the tool
// appends one line to per call (the step the model named), so the test can count how often
// each call the model issued really ran. The answer is streamed; the simulator answers several
// turns with a call to the tool and then with text.
import { Agent, run, tool } from '@openai/agents';
import { appendFileSync } from 'node:fs';

const recordStep = tool({
  name: 'record_step',
  description: 'Record one step of the task',
  parameters: {
    type: 'object',
    properties: { step: { type: 'string' } },
    required: ['step'],
    additionalProperties: false,
  },
  strict: true,
  execute: async ({ step }) => {
    appendFileSync(process.env.TOOL_LOG, `${step}\n`);
    console.log(`tool ran: record_step(${step})`);
    return `recorded ${step}`;
  },
});

const agent = new Agent({
  name: 'Step recorder',
  instructions: 'Record every step with the tool, then say done.',
  tools: [recordStep],
});

try {
  const result = await run(agent, 'Record the steps of the task.', { stream: true, maxTurns: 100 });
  for await (const _ of result.toTextStream()) {
    // the text is printed whole below
  }
  await result.completed;
  if (result.error) {
    throw result.error;
  }
  console.log(`final output: ${result.finalOutput}`);
} catch (e) {
  console.log(`error: ${e.constructor.name}: ${e.message}`);
  process.exit(2);
}
