import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { type Upload, UploadList } from './upload-list.tsx';

const base = { fileName: 'tone.wav', loaded: 0, total: 2048 } as const;
const noActions = { onCancel: () => {}, onPause: () => {}, onResume: () => {} };

describe('UploadList', () => {
  it('shows how much of each file has been sent', () => {
    const uploads: Upload[] = [
      { ...base, key: 1, state: 'uploading', loaded: 512 },
      { ...base, key: 2, fileName: 'done.wav', state: 'uploading', loaded: 2048 },
      { ...base, key: 3, fileName: 'unknown.wav', state: 'uploading', total: null },
    ];
    render(<UploadList uploads={uploads} {...noActions} onClearFinished={undefined} />);

    const quarter = screen.getByRole('progressbar', { name: 'tone.wav' });
    expect(quarter).toHaveValue(25);
    expect(quarter).toHaveAttribute('aria-valuetext', '25% sent');
    expect(screen.getByRole('progressbar', { name: 'done.wav' })).toHaveAttribute(
      'aria-valuetext',
      'Sent, waiting for the server…',
    );
    // Without a total the bar only shows activity.
    expect(screen.getByRole('progressbar', { name: 'unknown.wav' })).not.toHaveAttribute('value');
    expect(screen.queryByRole('button', { name: 'Clear finished' })).not.toBeInTheDocument();
  });

  it('offers cancel only while a file is being sent', async () => {
    const onCancel = vi.fn();
    render(
      <UploadList
        uploads={[
          { ...base, key: 7, state: 'uploading' },
          { ...base, key: 8, fileName: 'old.wav', state: 'cancelled' },
        ]}
        {...noActions}
        onCancel={onCancel}
        onClearFinished={() => {}}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Cancel upload of tone.wav' }));
    expect(onCancel).toHaveBeenCalledWith(7);
    const cancelled = screen.getByRole('progressbar', { name: 'old.wav' }).closest('li');
    expect(cancelled && within(cancelled).queryByRole('button')).toBeNull();
  });

  it('offers pause while a resumable upload is sent or retried, and resume once paused', async () => {
    const onPause = vi.fn();
    const onResume = vi.fn();
    const onCancel = vi.fn();
    render(
      <UploadList
        uploads={[
          { ...base, key: 1, fileName: 'a.wav', state: 'uploading', loaded: 1024, pausable: true },
          {
            ...base,
            key: 2,
            fileName: 'b.wav',
            state: 'retrying',
            retryReason: 'connection',
            loaded: 512,
            pausable: true,
          },
          { ...base, key: 3, fileName: 'c.wav', state: 'paused', loaded: 1536, pausable: true },
          // Not yet created on the server (or sent with POST /sounds): cancel only.
          { ...base, key: 4, fileName: 'd.wav', state: 'uploading', pausable: false },
          {
            ...base,
            key: 5,
            fileName: 'e.wav',
            state: 'retrying',
            retryReason: 'server',
            pausable: true,
          },
        ]}
        onCancel={onCancel}
        onPause={onPause}
        onResume={onResume}
        onClearFinished={undefined}
      />,
    );
    expect(screen.getByRole('progressbar', { name: 'b.wav' })).toHaveAttribute(
      'aria-valuetext',
      'Connection lost, retrying…',
    );
    expect(screen.getByRole('progressbar', { name: 'e.wav' })).toHaveAttribute(
      'aria-valuetext',
      'The server had a problem, retrying…',
    );
    expect(screen.getByRole('progressbar', { name: 'c.wav' })).toHaveAttribute(
      'aria-valuetext',
      'Paused at 75%',
    );
    expect(screen.getByRole('progressbar', { name: 'c.wav' })).toHaveValue(75);

    await userEvent.click(screen.getByRole('button', { name: 'Pause upload of a.wav' }));
    await userEvent.click(screen.getByRole('button', { name: 'Pause upload of b.wav' }));
    await userEvent.click(screen.getByRole('button', { name: 'Resume upload of c.wav' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel upload of c.wav' }));
    expect(onPause.mock.calls).toEqual([[1], [2]]);
    expect(onResume.mock.calls).toEqual([[3]]);
    expect(onCancel.mock.calls).toEqual([[3]]);
    expect(screen.queryByRole('button', { name: 'Pause upload of c.wav' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Resume upload of a.wav' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Pause upload of d.wav' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel upload of d.wav' })).toBeInTheDocument();
  });
});
