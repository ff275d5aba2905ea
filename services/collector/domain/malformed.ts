// The one error the pure decoders throw: a packet (or set) that cannot be trusted, with the
// stable code it is dead-lettered under.
import { CrosstraceError, type ErrorCode } from '../../common/errors.ts';

export class MalformedPacket extends CrosstraceError {
  constructor(code: ErrorCode, message: string) {
    super(code, message, { retriable: false });
  }
}
