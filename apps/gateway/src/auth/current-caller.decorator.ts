import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import { Caller } from '@breakwater/contracts';
import { AuthenticatedRequest } from './caller.guard';

/** The caller CallerGuard authenticated. */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Caller =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().caller,
);
