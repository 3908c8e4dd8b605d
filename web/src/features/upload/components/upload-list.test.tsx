import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { type Upload, UploadList } from './upload-list.tsx';

const base = { fileName: 'tone.wav', loaded: 0, total: 2048 } as const;

describe('UploadList', () => {
  it('shows how much of each file has been sent', () => {
    const uploads: Upload[] = [
      { ...base, key: 1, state: 'uploading', loaded: 512 },
      { ...base, key: 2, fileName: 'done.wav', state: 'uploading', loaded: 2048 },
      { ...base, key: 3, fileName: 'unknown.wav', state: 'uploading', total: null },
    ];
    render(<UploadList uploads={uploads} onCancel={() => {}} onClearFinished={undefined} />);

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
        onCancel={onCancel}
        onClearFinished={() => {}}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Cancel upload of tone.wav' }));
    expect(onCancel).toHaveBeenCalledWith(7);
    const cancelled = screen.getByRole('progressbar', { name: 'old.wav' }).closest('li');
    expect(cancelled && within(cancelled).queryByRole('button')).toBeNull();
  });
});
