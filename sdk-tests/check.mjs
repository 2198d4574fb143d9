// The official SDKs against a running gateway. Usage: BASE_URL=http://127.0.0.1:PORT KEY=... node check.mjs
// Prints one "ok <check>" line per check; exits 1 with the reason on the first failure.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.env.BASE_URL;
const key = process.env.KEY;
const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
const hosted = { headers: { 'X-TierMesh-Quality': 'high' } };
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

check('openai chat', async () => {
  const r = await openai.chat.completions.create({
    model: 'auto', messages: [{ role: 'user', content: 'Hello from the OpenAI SDK' }],
  });
  assert.equal(r.object, 'chat.completion');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.ok(r.usage.total_tokens > 0);
});

check('openai stream equals whole answer', async () => {
  const messages = [{ role: 'user', content: 'Stream check' }];
  const whole = await openai.chat.completions.create({ model: 'auto', messages });
  const stream = await openai.chat.completions.create({
    model: 'auto', messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.ok(usage.completion_tokens > 0);
});

check('openai tools', async () => {
  const r = await openai.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.input_schema } }],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  }, hosted);
  const call = r.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  JSON.parse(call.function.arguments);
});

check('openai models', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  assert.ok(ids.includes('auto') && ids.includes('tier-1'), ids.join(','));
  const local = ids.find((id) => id.includes('/'));
  const one = await openai.models.retrieve(local);
  assert.equal(one.id, local);
  assert.equal(one.object, 'model');
  await assert.rejects(openai.models.retrieve('no-such-model'),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
});

check('openai embeddings from token arrays', async () => {
  // cl100k_base ids of 'Hello world' and 'The quick brown fox': LangChain's default input form.
  const tokens = [[9906, 1917], [791, 4062, 14198, 39935]];
  const asTokens = await openai.embeddings.create({ model: 'auto', input: tokens });
  const asText = await openai.embeddings.create({ model: 'auto', input: ['Hello world', 'The quick brown fox'] });
  assert.equal(asTokens.data.length, 2);
  assert.deepEqual(asTokens.data.map((d) => d.embedding), asText.data.map((d) => d.embedding));
  const one = await openai.embeddings.create({ model: 'auto', input: tokens[0] });
  assert.deepEqual(one.data[0].embedding, asText.data[0].embedding);
  assert.ok(asTokens.usage.prompt_tokens > 0);
});

check('openai errors', async () => {
  const bad = new OpenAI({ apiKey: 'wrong', baseURL: `${base}/v1`, maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key');
  await assert.rejects(openai.chat.completions.create({ model: 'auto', messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400);
});

check('anthropic message', async () => {
  const m = await anthropic.messages.create({
    model: 'auto', max_tokens: 128, system: 'Be brief.',
    messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }],
  });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.match(m.id, /^msg_/);
  assert.equal(m.content[0].type, 'text');
  assert.ok(m.content[0].text.length > 0);
  assert.equal(m.stop_reason, 'end_turn');
  assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);
});

check('anthropic stream equals whole answer', async () => {
  const params = { model: 'auto', max_tokens: 128, messages: [{ role: 'user', content: 'Stream check two' }] };
  const whole = await anthropic.messages.create(params);
  const stream = anthropic.messages.stream(params);
  let deltas = '';
  stream.on('text', (t) => { deltas += t; });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, whole.content[0].text);
  assert.equal(deltas, whole.content[0].text);
  assert.equal(final.stop_reason, 'end_turn');
  assert.ok(final.usage.output_tokens > 0);
});

check('anthropic tool use, whole and streamed', async () => {
  const params = {
    model: 'auto', max_tokens: 200, tools: [weatherTool],
    tool_choice: { type: 'tool', name: 'get_weather' },
    messages: [{ role: 'user', content: 'Weather in Oslo?' }],
  };
  const m = await anthropic.messages.create(params, hosted);
  assert.equal(m.stop_reason, 'tool_use');
  const use = m.content.find((b) => b.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.equal(typeof use.input, 'object');
  const final = await anthropic.messages.stream(params, hosted).finalMessage();
  const streamed = final.content.find((b) => b.type === 'tool_use');
  assert.deepEqual(streamed.input, use.input);
  // The tool's answer goes back as a tool_result block.
  const next = await anthropic.messages.create({
    ...params, tool_choice: { type: 'auto' },
    messages: [...params.messages, { role: 'assistant', content: m.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '5 C, clear' }] }],
  }, hosted);
  assert.equal(next.type, 'message');
});

check('anthropic errors', async () => {
  const bad = new Anthropic({ apiKey: 'wrong', baseURL: base, maxRetries: 0 });
  await assert.rejects(bad.messages.create({ model: 'auto', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.AuthenticationError && e.status === 401
      && e.error?.error?.type === 'authentication_error');
  await assert.rejects(anthropic.messages.create({ model: 'auto', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.BadRequestError && e.status === 400
      && e.error?.error?.type === 'invalid_request_error');
});

const clockTool = {
  type: 'function',
  function: {
    name: 'clock', description: 'Current time in a zone',
    parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['CET', 'UTC'] } }, required: ['zone'] },
  },
};
const openAiWeather = { type: 'function', function: { name: 'get_weather', parameters: weatherTool.input_schema } };

check('openai forced tool choice on tier 1 and tier 3, whole and streamed', async () => {
  for (const model of ['tier-1', 'tier-3']) {
    const params = {
      model, messages: [{ role: 'user', content: 'What time is it?' }],
      tools: [openAiWeather, clockTool], tool_choice: { type: 'function', function: { name: 'clock' } },
    };
    const r = await openai.chat.completions.create(params);
    assert.equal(r.choices[0].finish_reason, 'tool_calls', model);
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'clock', model);
    assert.ok(['CET', 'UTC'].includes(JSON.parse(call.function.arguments).zone), model);
    const streamed = await openai.chat.completions.stream({ ...params, stream: true }).finalChatCompletion();
    assert.equal(streamed.choices[0].message.tool_calls[0].function.name, 'clock', model);
    const required = await openai.chat.completions.create({ ...params, tool_choice: 'required' });
    assert.equal(required.choices[0].finish_reason, 'tool_calls', model);
  }
});

check('openai two-turn tool loop on tier 1 with fresh call ids', async () => {
  const messages = [{ role: 'user', content: 'Weather in Oslo? tool:get_weather' }];
  const first = await openai.chat.completions.create({ model: 'auto', messages, tools: [openAiWeather] });
  const again = await openai.chat.completions.create({ model: 'auto', messages, tools: [openAiWeather] });
  const call = first.choices[0].message.tool_calls[0];
  assert.equal(first.choices[0].message.content, null);
  assert.notEqual(call.id, again.choices[0].message.tool_calls[0].id);
  const answer = await openai.chat.completions.create({
    model: 'auto', tools: [openAiWeather],
    messages: [...messages, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '5 C' }],
  });
  assert.equal(answer.choices[0].finish_reason, 'stop');
  assert.ok(answer.choices[0].message.content.length > 0);
});

check('openai parallel tool calls', async () => {
  const r = await openai.chat.completions.create({
    model: 'tier-2', tools: [openAiWeather, clockTool],
    messages: [{ role: 'user', content: 'Both please [sim tool-calls=get_weather,clock]' }],
  });
  const names = r.choices[0].message.tool_calls.map((c) => c.function.name);
  assert.deepEqual(names, ['get_weather', 'clock']);
  assert.notEqual(r.choices[0].message.tool_calls[0].id, r.choices[0].message.tool_calls[1].id);
});

check('vision request on every tier, both SDKs', async () => {
  const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
  for (const model of ['tier-1', 'tier-2', 'tier-3']) {
    const r = await openai.chat.completions.create({
      model, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    assert.match(r.choices[0].message.content, /^images:1/, model);
  }
  const m = await anthropic.messages.create({
    model: 'auto', max_tokens: 64, messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
      { type: 'text', text: 'What is this?' }] }],
  });
  assert.match(m.content[0].text, /^images:1/);
});

check('openai logprobs on an OpenAI backend', async () => {
  const r = await openai.chat.completions.create({
    model: 'tier-2', logprobs: true, top_logprobs: 2,
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  const entries = r.choices[0].logprobs.content;
  assert.ok(entries.length > 0);
  assert.equal(entries[0].top_logprobs.length, 2);
});

check('malformed tool-arguments history is a 400 naming the field, never a 500', async () => {
  for (const args of ['', '{"city":"Os', '["Oslo"]']) {
    await assert.rejects(openai.chat.completions.create({
      model: 'auto', tools: [openAiWeather],
      messages: [{ role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '5 C' }],
    }), (e) => e instanceof OpenAI.BadRequestError && e.status === 400
      && e.param === 'messages[1].tool_calls[0].function.arguments');
  }
});

for (const [name, fn] of checks) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    console.log(`FAILED ${name}: ${e?.stack ?? e}`);
    process.exit(1);
  }
}
console.log(`all ${checks.length} SDK checks passed`);
