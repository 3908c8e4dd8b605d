import { ErrorReply } from './common.ts';
import { SoundEvent } from './events.ts';
import { Limits } from './limits.ts';
import { Readiness } from './readiness.ts';
import { Sound, SoundChanges, SoundList } from './sound.ts';
import { Me, NewUser, User } from './user.ts';
import { Waveform } from './waveform.ts';

/**
 * The entity schemas routes refer to by `$id` (`Type.Ref('Sound')`): registered once for
 * serialization and the OpenAPI document (plugins/openapi.ts) and given to the body validator
 * (lib/validation.ts) so a body schema may be a reference too.
 */
export const SHARED_SCHEMAS = [
  ErrorReply,
  Sound,
  SoundList,
  SoundChanges,
  NewUser,
  User,
  Me,
  Limits,
  Waveform,
  Readiness,
  SoundEvent,
];
