import { Injectable } from '@nestjs/common';
import { LlmJobData } from './llm-job';
import { RunOutcome } from './llm-job.runner';

export type JobEndListener = (data: LlmJobData, outcome: RunOutcome) => void;

/** Where every queued job's end is announced, local or durable alike (webhooks listen here). */
@Injectable()
export class JobEvents {
  private readonly listeners = new Set<JobEndListener>();

  onEnded(listener: JobEndListener): void {
    this.listeners.add(listener);
  }

  ended(data: LlmJobData, outcome: RunOutcome): void {
    for (const listener of this.listeners) listener(data, outcome);
  }
}
