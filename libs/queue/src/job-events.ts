import { Injectable } from '@nestjs/common';
import { LlmJobData } from './llm-job';
import { RunOutcome } from './llm-job.runner';

export type JobEndListener = (data: LlmJobData, outcome: RunOutcome) => void;
export type JobChangeListener = (queueId: string) => void;

/**
 * Where every queued job's end is announced, local or durable alike (webhooks listen here), and where the
 * local queue says a job of its own changed (JobStatusFeed listens; durable jobs' changes come from BullMQ).
 */
@Injectable()
export class JobEvents {
  private readonly listeners = new Set<JobEndListener>();
  private readonly changeListeners = new Set<JobChangeListener>();

  onEnded(listener: JobEndListener): void {
    this.listeners.add(listener);
  }

  ended(data: LlmJobData, outcome: RunOutcome): void {
    for (const listener of this.listeners) listener(data, outcome);
  }

  onChanged(listener: JobChangeListener): void {
    this.changeListeners.add(listener);
  }

  changed(queueId: string): void {
    for (const listener of this.changeListeners) listener(queueId);
  }
}
