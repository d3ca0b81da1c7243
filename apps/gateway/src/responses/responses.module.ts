import { Module } from '@nestjs/common';
import { CallerGuard } from '../auth/caller.guard';
import { ChatModule } from '../chat/chat.module';
import { ResponsesController } from './responses.controller';

@Module({
  imports: [ChatModule],
  providers: [CallerGuard],
  controllers: [ResponsesController],
})
export class ResponsesModule {}
