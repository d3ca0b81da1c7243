import { Module } from '@nestjs/common';
import { CallerGuard } from '../auth/caller.guard';
import { ChatModule } from '../chat/chat.module';
import { CompletionsController } from './completions.controller';

@Module({
  imports: [ChatModule],
  providers: [CallerGuard],
  controllers: [CompletionsController],
})
export class CompletionsModule {}
