import { Module } from '@nestjs/common';
import { LlmProviderModule } from '@breakwater/llm-provider';
import { CallerGuard } from '../auth/caller.guard';
import { BatchController } from './batch.controller';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

@Module({
  imports: [LlmProviderModule],
  providers: [ChatService, CallerGuard],
  controllers: [ChatController, BatchController],
})
export class ChatModule {}
