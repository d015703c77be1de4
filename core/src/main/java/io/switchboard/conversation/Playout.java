package io.switchboard.conversation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

import io.switchboard.live.AgentVoice;

/**
 * The agent's side of one call between the brain and the transport: the sentences waiting to be synthesised, the
 * ones handed to the transport, and where on the call's clock (the caller's audio, in milliseconds) each of them
 * plays. The transport plays agent audio back to back, so a chunk plays from the later of "now" and the end of the
 * chunk before it; that schedule tells the engine when the agent is speaking, what the caller heard before barging
 * in, and when a sentence was heard in full. Shared by the engine's speaker thread and the session's thread, hence
 * one lock; {@link AgentVoice#play} is called under it so that no chunk slips past a barge-in's clear.
 */
final class Playout {

    /** What the speaker does next. */
    sealed interface Item {
        ConversationEngine.Reply reply();
    }

    /** Say one sentence. */
    record Say(String text, ConversationEngine.Reply reply) implements Item {
    }

    /** End the call once everything before has been heard. */
    record End(String reason, ConversationEngine.Reply reply) implements Item {
    }

    /** A chunk of agent audio as scheduled on the call's clock (for the turn detector's echo guard). */
    record Chunk(long startMs, int durationMs, float levelDbfs) {
    }

    /** The call is to end after the last frame of the goodbye, which carries {@code mark}, has played. */
    record Ending(String mark, long atMs, String reason) {
    }

    /** What a barge-in cut: the text heard of the agent's stretch, and the sentence it cut, if any. */
    record Cut(String heard, Optional<Sent> sentence, String heardOfSentence) {
    }

    /** One sentence handed to the transport. */
    static final class Sent {
        final int seq;
        final String text;
        final ConversationEngine.Reply reply;
        long startMs = -1;
        long endMs = -1;
        boolean complete; // every chunk handed to the transport
        boolean recorded;

        Sent(int seq, String text, ConversationEngine.Reply reply) {
            this.seq = seq;
            this.text = text;
            this.reply = reply;
        }
    }

    private final AgentVoice voice;
    private final Deque<Item> queue = new ArrayDeque<>();
    private final List<Sent> stretch = new ArrayList<>(); // sent since the caller last took a turn
    private final List<Chunk> scheduled = new ArrayList<>();
    private long cursorMs;
    private long nowMs;
    private boolean paused;
    private long pausedAtMs; // while paused: where the transport's audio was cleared
    private boolean closed;
    private Sent synthesizing;
    private boolean taken; // the speaker holds an item it has not begun yet
    private int seq;
    private String lastMark = "";
    private Ending ending;

    Playout(AgentVoice voice) {
        this.voice = voice;
    }

    // ------------------------------------------------------------------ the brain's side

    synchronized void enqueue(Item item) {
        queue.addLast(item);
        notifyAll();
    }

    // ------------------------------------------------------------------ the speaker's side

    /** The next item, waiting while paused or empty; empty once closed. */
    synchronized Optional<Item> take() throws InterruptedException {
        while (!closed && (paused || queue.isEmpty())) {
            wait();
        }
        if (closed) {
            return Optional.empty();
        }
        taken = true;
        return Optional.of(queue.pollFirst());
    }

    /** The speaker drops the item it took (its reply was cancelled). */
    synchronized void skip() {
        taken = false;
    }

    /** Starts a sentence; empty when a barge-in paused the agent meanwhile (the sentence waits for a resume). */
    synchronized Optional<Sent> begin(Say say) {
        taken = false;
        if (paused || closed) {
            queue.addFirst(say);
            return Optional.empty();
        }
        Sent s = new Sent(seq++, say.text(), say.reply());
        synthesizing = s;
        stretch.add(s);
        return Optional.of(s);
    }

    /**
     * Plays one chunk of {@code s} now, scheduled after what plays before it; false (nothing sent) once a barge-in
     * stopped the agent.
     */
    synchronized boolean play(Sent s, short[] pcm16, int sampleRate, String mark, float levelDbfs) {
        if (paused || closed || s.reply.cancelled()) {
            return false;
        }
        long start = Math.max(cursorMs, nowMs);
        int duration = (int) Math.max(1, Math.round(pcm16.length * 1000.0 / sampleRate));
        if (s.startMs < 0) {
            s.startMs = start;
        }
        cursorMs = start + duration;
        s.endMs = cursorMs;
        scheduled.add(new Chunk(start, duration, levelDbfs));
        voice.play(pcm16, sampleRate, mark);
        if (!mark.isEmpty()) {
            lastMark = mark;
        }
        return true;
    }

    /** The speaker is done with {@code s}: all of it sent ({@code complete}), or abandoned. */
    synchronized void finished(Sent s, boolean complete) {
        s.complete = complete;
        if (synthesizing == s) {
            synthesizing = null;
        }
        notifyAll();
    }

    /** The speaker reached an {@link End}: the call ends once the last frame sent so far has played. */
    synchronized void end(String reason) {
        taken = false;
        if (ending == null) {
            ending = new Ending(lastMark, cursorMs, reason);
        }
    }

    // ------------------------------------------------------------------ the session's side

    /** The caller's audio has reached {@code nowMs} of the call. */
    synchronized void now(long now) {
        nowMs = now;
    }

    /** Agent chunks scheduled since the last call, in order. */
    synchronized List<Chunk> drainScheduled() {
        if (scheduled.isEmpty()) {
            return List.of();
        }
        List<Chunk> out = List.copyOf(scheduled);
        scheduled.clear();
        return out;
    }

    /** Whether nothing is waiting, being synthesised or still playing at {@code now}. */
    synchronized boolean idle(long now) {
        return queue.isEmpty() && synthesizing == null && !taken && cursorMs <= now;
    }

    synchronized Optional<Ending> ending() {
        return Optional.ofNullable(ending);
    }

    /** Sentences heard in full by {@code now} and not yet kept. */
    synchronized List<Sent> heardInFull(long now) {
        List<Sent> out = new ArrayList<>();
        long upTo = paused ? Math.min(now, pausedAtMs) : now; // a clear dropped what was to play after the pause
        for (Sent s : stretch) {
            if (!s.recorded && s.complete && s.endMs >= 0 && s.endMs <= upTo) {
                s.recorded = true;
                out.add(s);
            }
        }
        return out;
    }

    /** The caller took a turn: what the agent said before is history. */
    synchronized void newStretch() {
        stretch.removeIf(s -> s.recorded || s.startMs < 0);
    }

    /** Barge-in: nothing more is sent until {@link #resume} or {@link #commit}; returns whether the agent was on. */
    synchronized void pause(long now) {
        if (!paused) {
            pausedAtMs = now;
        }
        paused = true;
        nowMs = now;
        notifyAll();
    }

    /** The interruption brought no words: what the caller did not hear is said again, from the cut sentence. */
    synchronized void resume(long now) {
        List<Say> again = new ArrayList<>();
        for (var it = stretch.iterator(); it.hasNext(); ) {
            Sent s = it.next();
            if (!s.recorded && !(s.complete && s.endMs >= 0 && s.endMs <= now)) {
                again.add(new Say(s.text, s.reply));
                it.remove();
            }
        }
        sayAgain(again, now);
    }

    /**
     * The caller only said "Hello?" over the agent's opening: everything from the sentence the caller started talking
     * over ({@code onsetMs}) is said again, that sentence from its start, even what played in full after the onset
     * (the caller talked over it). Returns the sentence the pause at {@code at} cut and the part of it played, which
     * the call keeps as an interrupted turn.
     */
    synchronized Cut restartFrom(long onsetMs, long at, long now) {
        Sent cut = null;
        String partial = "";
        List<Say> again = new ArrayList<>();
        for (var it = stretch.iterator(); it.hasNext(); ) {
            Sent s = it.next();
            if (s.complete && s.endMs >= 0 && s.endMs <= onsetMs) {
                continue; // heard in full before the caller spoke
            }
            if (cut == null && s.startMs >= 0 && s.startMs < at && !(s.complete && s.endMs <= at)) {
                cut = s;
                partial = heardPart(s, at);
            }
            again.add(new Say(s.text, s.reply));
            it.remove();
        }
        sayAgain(again, now);
        return new Cut(partial, Optional.ofNullable(cut), partial);
    }

    /** Puts {@code again} back at the head of what is to be said, in order, and plays on from {@code now} (locked). */
    private void sayAgain(List<Say> again, long now) {
        for (int i = again.size() - 1; i >= 0; i--) {
            queue.addFirst(again.get(i));
        }
        cursorMs = now;
        paused = false;
        notifyAll();
    }

    /**
     * The interruption stands: what waits is dropped, and the cut is measured at {@code at} (when the agent's
     * audio stopped): the stretch's sentences heard in full, and the heard part of the one it cut.
     */
    synchronized Cut commit(long at) {
        if (paused) {
            at = Math.min(at, pausedAtMs); // the clear at the pause dropped what was to play after it
        }
        queue.removeIf(i -> i.reply().cancelled() || !(i instanceof End));
        var heard = new StringBuilder();
        Sent cut = null;
        String partial = "";
        for (Sent s : stretch) {
            if (s.startMs < 0 || s.startMs >= at) {
                continue;
            }
            if (s.complete && s.endMs <= at) {
                heard.append(heard.isEmpty() ? "" : " ").append(s.text);
            } else if (cut == null) {
                cut = s;
                partial = heardPart(s, at);
                heard.append(heard.isEmpty() || partial.isEmpty() ? "" : " ").append(partial);
            }
        }
        stretch.clear();
        cursorMs = at;
        paused = false;
        notifyAll();
        return new Cut(heard.toString(), Optional.ofNullable(cut), partial);
    }

    /** The words of {@code s} played by {@code at}, in proportion to its time. */
    private static String heardPart(Sent s, long at) {
        String[] words = s.text.split("\\s+");
        long span = Math.max(1, s.endMs - s.startMs);
        int n = (int) Math.min(words.length, Math.floor(words.length * (double) (at - s.startMs) / span));
        return String.join(" ", java.util.Arrays.copyOf(words, n));
    }

    synchronized void close() {
        closed = true;
        queue.clear();
        notifyAll();
    }
}
