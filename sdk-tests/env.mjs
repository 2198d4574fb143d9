// The official SDKs configured by nothing but their own environment variables, as the README's
// SDK section sets them (run by SdkCompatibilityTest, which reads those lines from the README):
// one chat through each.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const chat = await new OpenAI().chat.completions.create({
  model: 'auto',
  messages: [{ role: 'user', content: 'Hello' }],
});
console.log(`openai: ${chat.choices[0].message.content ? 'answered' : 'empty'}`);

const message = await new Anthropic().messages.create({
  model: 'auto',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Hello' }],
});
console.log(`anthropic: ${message.content.length > 0 ? 'answered' : 'empty'}`);
