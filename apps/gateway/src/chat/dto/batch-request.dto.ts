import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { ChatCompletionRequestDto } from './chat-completion-request.dto';

export const MAX_BATCH_ITEMS = 100;

/** Up to 100 chat bodies; each is validated on its own, so one bad item fails only itself. */
export class BatchRequestDto {
  @ApiProperty({ type: [ChatCompletionRequestDto], maxItems: MAX_BATCH_ITEMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ITEMS)
  requests!: unknown[];
}
