import { Injectable } from '@nestjs/common';

/**
 * Whether the process has been told to stop. It is set at the signal, before the drain, so readiness
 * turns 503 while the server still answers: load balancers stop routing here before anything refuses.
 */
@Injectable()
export class ShutdownState {
  private stopping = false;

  begin(): void {
    this.stopping = true;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }
}
