import { ChatCompletionRequest } from '@breakwater/contracts';
import { CreateCompletionDto } from './dto/create-completion.dto';

/** The chat request a legacy completion is answered with: its prompt as one user message, its settings as they are. */
export function chatRequestOf(body: CreateCompletionDto): ChatCompletionRequest {
  const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0];
  const request: ChatCompletionRequest = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  if (body.max_tokens != null) request.max_tokens = body.max_tokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.top_p = body.top_p;
  if (body.n != null) request.n = body.n;
  if (body.stop != null) request.stop = body.stop;
  if (body.presence_penalty != null) request.presence_penalty = body.presence_penalty;
  if (body.frequency_penalty != null) request.frequency_penalty = body.frequency_penalty;
  if (body.seed != null) request.seed = body.seed;
  if (body.user != null) request.user = body.user;
  if (body.stream === true) {
    request.stream = true;
    if (body.stream_options?.include_usage != null) {
      request.stream_options = { include_usage: body.stream_options.include_usage };
    }
  }
  return request;
}
