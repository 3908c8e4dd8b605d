import { useId } from 'react';
import { useMe } from '../../../lib/api/get-me.ts';
import { formatBytes } from '../../../lib/format.ts';

/**
 * How much of their storage the uploader's sounds take ("1.2 GB of 2.1 GB used", with a meter)
 * and how many of them wait for processing, from `GET /me`: both limit what they may upload.
 * Nothing shows until it has arrived.
 */
export function StorageUse({ userId }: { userId: number }) {
  const me = useMe(userId);
  const meterId = useId();
  const textId = useId();
  if (!me) return null;
  const { usedBytes, limitBytes } = me.storage;
  const pending = me.pendingSounds;
  return (
    <div className="storage-use">
      <label htmlFor={meterId}>Your storage</label>
      <meter
        id={meterId}
        min={0}
        max={limitBytes}
        value={usedBytes}
        optimum={0}
        high={limitBytes * 0.9}
        aria-describedby={textId}
      />
      <p id={textId} className="hint">
        {`${formatBytes(usedBytes)} of ${formatBytes(limitBytes)} used`}
      </p>
      {pending.count > 0 && (
        <p className="hint">
          {`${pending.count === 1 ? '1 sound' : `${pending.count} sounds`} waiting to be processed (at most ${pending.limit})`}
        </p>
      )}
    </div>
  );
}
