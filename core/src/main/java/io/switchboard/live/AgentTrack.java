package io.switchboard.live;

import java.util.ArrayDeque;

import io.switchboard.audio.AudioFormat;
import io.switchboard.audio.G711;
import io.switchboard.audio.Resampler;

/**
 * The agent channel of a call an agent speaks on, recorded as it is played: the audio the agent asked to play
 * waits here and is taken at the pace of the caller's audio (the caller's frames are the call's clock), one
 * agent sample beside each caller sample, silence when the agent is quiet. A clear drops what has not been
 * played yet, so the recording stops where the caller heard the agent stop.
 */
final class AgentTrack {

    /** A stretch of the call in stereo (agent, caller) in the call's encoding, and the agent's samples of it. */
    record Mixed(byte[] stereo, short[] agent) {
    }

    private final AudioFormat caller; // mono, as the transport sends it
    private final ArrayDeque<short[]> pending = new ArrayDeque<>(); // at the call's rate
    private int headOffset; // samples of pending.peekFirst() already played
    private byte[] carry = new byte[0]; // half a PCM16 sample of the caller's, split across frames

    AgentTrack(AudioFormat caller) {
        this.caller = caller;
    }

    /** Queues agent audio for playing, resampled to the call's rate. */
    void play(short[] pcm16, int sampleRate) {
        short[] at = pcm16;
        if (sampleRate != caller.sampleRate()) {
            Resampler r = new Resampler(sampleRate, caller.sampleRate());
            short[] body = r.process(pcm16, 0, pcm16.length);
            short[] tail = r.flush();
            at = java.util.Arrays.copyOf(body, body.length + tail.length);
            System.arraycopy(tail, 0, at, body.length, tail.length);
        }
        if (at.length > 0) {
            pending.addLast(at);
        }
    }

    /** Drops the agent audio not played yet. */
    void clear() {
        pending.clear();
        headOffset = 0;
    }

    /** Samples queued, not yet played. */
    int queued() {
        int n = -headOffset;
        for (short[] s : pending) {
            n += s.length;
        }
        return n;
    }

    /** Interleaves the caller's bytes (mono, the call's encoding) with as many agent samples. */
    Mixed mix(byte[] callerBytes) {
        int bps = caller.bytesPerSample();
        byte[] all = callerBytes;
        if (carry.length > 0) {
            all = new byte[carry.length + callerBytes.length];
            System.arraycopy(carry, 0, all, 0, carry.length);
            System.arraycopy(callerBytes, 0, all, carry.length, callerBytes.length);
        }
        int n = all.length / bps;
        carry = java.util.Arrays.copyOfRange(all, n * bps, all.length);
        short[] agent = take(n);
        byte[] stereo = new byte[n * 2 * bps];
        for (int i = 0; i < n; i++) {
            int at = i * 2 * bps;
            if (caller.encoding() == AudioFormat.Encoding.MULAW) {
                stereo[at] = G711.linearToUlaw(agent[i]);
                stereo[at + 1] = all[i];
            } else {
                stereo[at] = (byte) agent[i];
                stereo[at + 1] = (byte) (agent[i] >> 8);
                stereo[at + 2] = all[i * 2];
                stereo[at + 3] = all[i * 2 + 1];
            }
        }
        return new Mixed(stereo, agent);
    }

    private short[] take(int n) {
        short[] out = new short[n];
        int filled = 0;
        while (filled < n && !pending.isEmpty()) {
            short[] head = pending.peekFirst();
            int k = Math.min(n - filled, head.length - headOffset);
            System.arraycopy(head, headOffset, out, filled, k);
            filled += k;
            headOffset += k;
            if (headOffset == head.length) {
                pending.removeFirst();
                headOffset = 0;
            }
        }
        return out;
    }
}
