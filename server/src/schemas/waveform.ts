import { Type } from 'typebox';

/** BBC audiowaveform's JSON format (version 2), as wavesurfer.js and peaks.js read it. */
export const Waveform = Type.Object(
  {
    version: Type.Literal(2),
    channels: Type.Literal(1),
    sample_rate: Type.Integer({ description: 'Samples per second of the audio measured' }),
    samples_per_pixel: Type.Integer({ description: 'Audio samples summarised by each point' }),
    bits: Type.Literal(8),
    length: Type.Integer({ description: 'Points: `data` holds twice as many numbers' }),
    data: Type.Array(Type.Integer({ minimum: -128, maximum: 127 }), {
      description: 'min, max, min, max, … one pair per point',
    }),
  },
  {
    $id: 'Waveform',
    title: 'Waveform',
    examples: [
      {
        version: 2,
        channels: 1,
        sample_rate: 8000,
        samples_per_pixel: 128,
        bits: 8,
        length: 3,
        data: [-12, 14, -40, 38, -5, 6],
      },
    ],
  },
);
