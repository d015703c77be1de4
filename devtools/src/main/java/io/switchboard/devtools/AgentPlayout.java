package io.switchboard.devtools;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the carrier does with the agent's side of a bidirectional Media Stream, as Twilio documents it
 * (twilio.com/docs/voice/media-streams/websocket-messages): {@code media} is queued and played in order, a
 * {@code mark} comes back once the audio queued before it has played (at once if nothing is queued), and
 * {@code clear} empties the queue and returns every pending mark at once. The softphone plays nothing aloud (it
 * is a fake line); it keeps the agent channel as heard, cut where a {@code clear} cut it.
 *
 * <p>Played in real time by {@link #tick()}, one 20 ms frame per call; thread-safe.
 */
final class AgentPlayout {

    /** 20 ms at 8 kHz. */
    static final int FRAME = 160;

    private sealed interface Item {
    }

    private record Audio(byte[] mulaw, int[] played) implements Item {
    }

    private record Mark(String name) implements Item {
    }

    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private final ByteArrayOutputStream heard = new ByteArrayOutputStream();
    private final Consumer<String> echoMark;
    private final List<String> events = new ArrayList<>();
    private long lastAudioNanos;
    private long lastHeardNanos;
    private long speakingSince;
    private long lastMarkNanos;
    private long turns;
    private boolean speaking;

    /** @param echoMark sends a mark back to the server (called outside this object's lock, in order) */
    AgentPlayout(Consumer<String> echoMark) {
        this.echoMark = echoMark;
    }

    void media(byte[] mulaw) {
        synchronized (this) {
            queue.add(new Audio(mulaw, new int[1]));
            if (!speaking) {
                speaking = true;
                speakingSince = System.nanoTime();
                turns++;
                events.add("agent speaks");
            }
            lastAudioNanos = System.nanoTime();
        }
    }

    void mark(String name) {
        boolean now;
        synchronized (this) {
            now = queue.isEmpty();
            if (!now) {
                queue.add(new Mark(name));
            }
        }
        if (now) {
            echo(name);
        }
    }

    /** Drops the queued audio; the pending marks go back at once, in order. */
    void clear() {
        List<String> marks = new ArrayList<>();
        synchronized (this) {
            for (Item i : queue) {
                if (i instanceof Mark m) {
                    marks.add(m.name());
                }
            }
            queue.clear();
            events.add("agent cleared");
            speaking = false;
        }
        marks.forEach(this::echo);
    }

    /**
     * Plays the next 20 ms: the agent's μ-law for this frame (silence where the queue ran dry), recorded as heard,
     * and the marks reached meanwhile sent back.
     */
    byte[] tick() {
        byte[] frame = new byte[FRAME];
        java.util.Arrays.fill(frame, (byte) 0xFF); // μ-law silence
        List<String> marks = new ArrayList<>();
        synchronized (this) {
            int n = 0;
            while (!queue.isEmpty() && n < FRAME) {
                switch (queue.peek()) {
                    case Mark m -> {
                        marks.add(m.name());
                        queue.poll();
                    }
                    case Audio a -> {
                        int take = Math.min(FRAME - n, a.mulaw().length - a.played()[0]);
                        System.arraycopy(a.mulaw(), a.played()[0], frame, n, take);
                        a.played()[0] += take;
                        n += take;
                        if (a.played()[0] == a.mulaw().length) {
                            queue.poll();
                        }
                    }
                }
            }
            while (queue.peek() instanceof Mark m) {
                marks.add(m.name());
                queue.poll();
            }
            if (n > 0) {
                heard.write(frame, 0, n);
                lastHeardNanos = System.nanoTime();
            } else if (speaking) {
                speaking = false;
                events.add("agent stops");
            }
        }
        marks.forEach(this::echo);
        return frame;
    }

    private void echo(String name) {
        synchronized (this) {
            events.add("mark " + name + " played");
            lastMarkNanos = System.nanoTime();
        }
        echoMark.accept(name);
    }

    /** Whether agent audio is queued or playing now. */
    synchronized boolean speaking() {
        return speaking;
    }

    /** Nanoseconds since the agent's audio last arrived or played, whichever is later; {@code Long.MAX_VALUE} if never. */
    synchronized long quietForNanos() {
        return lastAudioNanos == 0 ? Long.MAX_VALUE : System.nanoTime() - Math.max(lastAudioNanos, lastHeardNanos);
    }

    /** How long the agent has been speaking without a pause; 0 when it is not. */
    synchronized long speakingForNanos() {
        return speaking ? System.nanoTime() - speakingSince : 0;
    }

    /** How many times the agent started speaking. */
    synchronized long spokenTurns() {
        return turns;
    }

    /** Whether a mark came back after the agent's last audio arrived: the agent has marked the end of a reply. */
    synchronized boolean markPlayedSinceAudio() {
        return lastMarkNanos != 0 && lastMarkNanos - lastAudioNanos >= 0;
    }

    /** The agent channel as the callee heard it: 8 kHz μ-law, cut where cleared. */
    synchronized byte[] heard() {
        return heard.toByteArray();
    }

    /** What happened on the agent's side, in order ("agent speaks", "mark x played", "agent cleared", ...). */
    synchronized List<String> events() {
        return List.copyOf(events);
    }

    synchronized void note(String event) {
        events.add(event);
    }
}
