package io.switchboard.conversation.turns;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import io.switchboard.conversation.vad.VadFrame;

/**
 * Turn-taking for one call, as pure logic: fed the caller channel's voice activity window by window, the
 * recogniser's running transcript, and what the agent is playing, it decides when the caller's turn is over,
 * when the caller is barging in (and when that was a false alarm), and what was only a backchannel or echo.
 * It keeps no clock and starts no thread: every input carries its time on the call's channel clock, and the
 * decisions come back from the call that settled them, so the whole of it is testable with recorded audio.
 *
 * <p>How it decides (settings in {@link TurnSettings}):
 * <ul>
 * <li><b>Speech</b>, Silero's hysteresis: a window at {@code vad.activation} or above is voiced; once speaking,
 *     only windows below {@code vad.deactivation} are quiet. Speech starts after {@code vad.min-speech} of voice
 *     and a stretch of it ends after {@code vad.min-silence} of quiet.</li>
 * <li><b>End of turn</b>: {@code endpointing.min-silence} after the caller's last voiced window, or
 *     {@code endpointing.max-silence} while the words so far stop mid-phrase ("and", "um", "five five").</li>
 * <li><b>Barge-in</b>: while the agent speaks, caller speech of {@code interruption.min-speech} interrupts as soon
 *     as the recogniser has a word that is not a backchannel, or without words once it outlasts
 *     {@code interruption.max-backchannel}. A backchannel or a cough, which ends before either, is reported as
 *     {@link TurnEvent.Backchannel} and the agent talks on. An interruption that brings no word within
 *     {@code interruption.resume-after} is followed by {@link TurnEvent.Resume}.</li>
 * <li><b>Echo guard</b>: the agent's own voice leaking back on the caller's channel must not interrupt it. Phone
 *     lines give us no echo canceller (LiveKit and Pipecat lean on the client's AEC; LiveKit even ignores the first
 *     3 s of agent speech to let it converge), so a caller window counts as the caller only if it is no more than
 *     {@code echo.margin-db} quieter than the loudest agent audio played in the last {@code echo.max-delay}. Echo
 *     comes back attenuated (20 dB or more past a hybrid and the carrier's echo canceller); a caller talking
 *     over the agent does not. The price: a caller much quieter than the agent's playout cannot interrupt it, and
 *     the quiet syllables of one who can count only within {@code vad.min-silence} of their louder voice (a
 *     syllable 28–42 dB below full scale between louder ones, as a phone caller's are; counting none of them put
 *     130 ms more into a barge-in's decision).</li>
 * </ul>
 *
 * <p>Not thread-safe: one detector per call, fed from the call's one audio thread.
 */
public final class TurnDetector {

    private record Played(long start, long end, float levelDbfs) {
    }

    private final TurnSettings settings;
    private final long minSpeech;
    private final long minSilence;
    private long endMin;
    private long endMax;
    private final long bargeMin;
    private final long backchannelMax;
    private final long resumeAfter;
    private final long echoDelay;

    // voice activity (after the echo guard)
    private boolean speaking;
    private long onset = -1;
    private long pendingVoice;
    private long lastVoiceEnd = -1;
    private long quietSince = -1;
    private long callerVoiceEnd = -1; // the end of the last voiced window loud enough not to be echo

    // the agent
    private boolean agentSpeaking;
    private final Deque<Played> played = new ArrayDeque<>();

    // the caller's turn
    private boolean turnOpen;

    // a would-be interruption while the agent speaks, and an interruption still waiting for words
    private boolean candidate;
    private long candidateStart;
    private long candidateVoice;
    private boolean awaitingWords;
    private long interruptedAt;

    // the words heard since the turn (or would-be interruption) began
    private final List<String> finals = new ArrayList<>();
    private List<String> partial = List.of();
    private int skip;

    public TurnDetector(TurnSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings: required");
        }
        this.settings = settings;
        this.minSpeech = settings.vadMinSpeech().toMillis();
        this.minSilence = settings.vadMinSilence().toMillis();
        this.endMin = settings.endpointingMinSilence().toMillis();
        this.endMax = settings.endpointingMaxSilence().toMillis();
        this.bargeMin = settings.interruptionMinSpeech().toMillis();
        this.backchannelMax = settings.interruptionMaxBackchannel().toMillis();
        this.resumeAfter = settings.interruptionResumeAfter().toMillis();
        this.echoDelay = settings.echoMaxDelay().toMillis();
    }

    public TurnSettings settings() {
        return settings;
    }

    /**
     * From now on the caller's turn ends after {@code min} of silence, or {@code max} while the words stop
     * mid-phrase: a flow node that listens for something long (a phone number) overrides the agent's endpointing.
     */
    public void endpointing(java.time.Duration min, java.time.Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("endpointing: min must be positive and max at least min, got "
                    + min + " and " + max);
        }
        endMin = min.toMillis();
        endMax = max.toMillis();
    }

    /** Whether the detector takes the agent to be speaking (it stops at an {@link TurnEvent.Interrupt}). */
    public boolean agentSpeaking() {
        return agentSpeaking;
    }

    /** A window of the caller's channel as the voice activity detector scored it. */
    public List<TurnEvent> onCallerFrame(VadFrame frame) {
        return onCallerFrame(frame.startMillis(), frame.durationMillis(), frame.probability(), frame.levelDbfs());
    }

    /**
     * A window of the caller's channel: {@code [startMillis, startMillis + durationMillis)}, its speech
     * probability and its RMS level. Windows come in channel order; the decisions they settle come back.
     */
    public List<TurnEvent> onCallerFrame(long startMillis, int durationMillis, float probability, float levelDbfs) {
        if (durationMillis <= 0) {
            throw new IllegalArgumentException("durationMillis: must be positive, got " + durationMillis);
        }
        if (!(probability >= 0f && probability <= 1f)) {
            throw new IllegalArgumentException("probability: must be within [0, 1], got " + probability);
        }
        if (Float.isNaN(levelDbfs)) {
            throw new IllegalArgumentException("levelDbfs: must be a number");
        }
        long now = startMillis + durationMillis;
        List<TurnEvent> out = new ArrayList<>(2);
        boolean echo = isEcho(startMillis, now, levelDbfs);
        if (!echo && probability >= settings.vadActivation()) {
            callerVoiceEnd = now;
        }
        // a quieter window right after the caller's own voice is their quiet syllable, not the agent's echo
        boolean bridged = echo && callerVoiceEnd >= 0 && startMillis - callerVoiceEnd < minSilence;
        double p = echo && !bridged ? 0 : probability;
        boolean voiced = p >= settings.vadActivation();
        boolean quiet = p < settings.vadDeactivation();
        if (!speaking) {
            if (voiced || (pendingVoice > 0 && !quiet)) {
                if (pendingVoice == 0) {
                    onset = startMillis;
                }
                pendingVoice += durationMillis;
                if (pendingVoice >= Math.max(minSpeech, 1)) {
                    speaking = true;
                    lastVoiceEnd = now;
                    quietSince = -1;
                    speechStarted(now, pendingVoice, out);
                    pendingVoice = 0;
                }
            } else if (quiet) {
                pendingVoice = 0;
            }
        } else if (voiced || (!quiet && quietSince < 0)) {
            lastVoiceEnd = now;
            quietSince = -1;
            if (candidate) {
                candidateVoice += durationMillis;
            }
        } else {
            if (quietSince < 0) {
                quietSince = startMillis;
            }
            if (now - quietSince >= minSilence) {
                speaking = false;
            }
        }
        decide(now, out);
        return out;
    }

    /**
     * The recogniser's text for the caller's channel: a partial (the utterance in progress so far, superseding the
     * previous partial) or a final (that utterance, done).
     */
    public List<TurnEvent> onTranscript(long atMillis, String text, boolean isFinal) {
        List<String> words = Words.of(text);
        if (isFinal) {
            finals.addAll(words.subList(Math.min(skip, words.size()), words.size()));
            partial = List.of();
            skip = 0;
        } else {
            partial = words;
        }
        List<TurnEvent> out = new ArrayList<>(1);
        decide(atMillis, out);
        return out;
    }

    /** The agent's audio as it plays, {@code [startMillis, startMillis + durationMillis)} at {@code levelDbfs}. */
    public void onAgentAudio(long startMillis, int durationMillis, float levelDbfs) {
        if (durationMillis <= 0) {
            throw new IllegalArgumentException("durationMillis: must be positive, got " + durationMillis);
        }
        if (Float.isNaN(levelDbfs)) {
            throw new IllegalArgumentException("levelDbfs: must be a number");
        }
        played.addLast(new Played(startMillis, startMillis + durationMillis, levelDbfs));
    }

    /**
     * The agent started talking (first audio of a reply played) or stopped (its last audio played, or cleared).
     * Caller speech already going on when the agent starts is judged as a would-be interruption from then on;
     * caller speech the agent finishes over becomes the caller's turn.
     */
    public List<TurnEvent> onAgentSpeaking(long atMillis, boolean nowSpeaking) {
        List<TurnEvent> out = new ArrayList<>(1);
        if (nowSpeaking && !agentSpeaking) {
            agentSpeaking = true;
            turnOpen = false;
            awaitingWords = false;
            if (speaking) {
                startCandidate(atMillis, 0);
            }
        } else if (!nowSpeaking && agentSpeaking) {
            agentSpeaking = false;
            if (candidate) {
                candidate = false;
                turnOpen = true;
            }
        }
        decide(atMillis, out);
        return out;
    }

    private void speechStarted(long now, long voiced, List<TurnEvent> out) {
        out.add(new TurnEvent.SpeechStarted(now, onset));
        if (agentSpeaking) {
            if (candidate) {
                candidateVoice += voiced; // "uh ... huh": one would-be interruption
            } else {
                startCandidate(onset, voiced);
            }
        } else if (!turnOpen) {
            turnOpen = true;
            resetWords();
        }
    }

    private void startCandidate(long start, long voiced) {
        candidate = true;
        candidateStart = start;
        candidateVoice = voiced;
        resetWords();
    }

    private void decide(long now, List<TurnEvent> out) {
        List<String> words = words();
        boolean hasWords = !words.isEmpty() && !Words.onlyBackchannels(words, settings.backchannels());
        boolean silent = !speaking || quietSince >= 0;
        if (candidate) {
            if (candidateVoice >= bargeMin && (hasWords || candidateVoice >= backchannelMax)) {
                out.add(new TurnEvent.Interrupt(now, candidateStart, String.join(" ", words)));
                candidate = false;
                agentSpeaking = false;
                turnOpen = true;
                awaitingWords = !hasWords;
                interruptedAt = now;
            } else if (silent && now - lastVoiceEnd >= endMin) {
                out.add(new TurnEvent.Backchannel(now, candidateStart, String.join(" ", words)));
                candidate = false;
                resetWords();
            }
            return;
        }
        if (awaitingWords) {
            if (hasWords) {
                awaitingWords = false;
            } else if (now - interruptedAt >= resumeAfter) {
                out.add(new TurnEvent.Resume(now, interruptedAt));
                awaitingWords = false;
                turnOpen = false;
                agentSpeaking = true;
                resetWords();
            }
            return;
        }
        if (turnOpen && silent && lastVoiceEnd >= 0) {
            boolean midPhrase = Words.endsMidPhrase(words);
            if (now - lastVoiceEnd >= (midPhrase ? endMax : endMin)) {
                out.add(new TurnEvent.EndOfTurn(now, lastVoiceEnd, String.join(" ", words), midPhrase));
                turnOpen = false;
                resetWords();
            }
        }
    }

    /** Whether this caller window is only the agent's own voice coming back (see {@link #isEcho}). */
    public boolean echo(io.switchboard.conversation.vad.VadFrame f) {
        return isEcho(f.startMillis(), f.startMillis() + f.durationMillis(), f.levelDbfs());
    }

    /** Whether a caller window {@code [start, end)} at {@code level} is too quiet, beside the agent's audio, to be the caller. */
    private boolean isEcho(long start, long end, float level) {
        while (!played.isEmpty() && played.peekFirst().end() <= start - echoDelay) {
            played.removeFirst();
        }
        if (settings.echoMarginDb() == 0) {
            return false;
        }
        float loudest = Float.NEGATIVE_INFINITY;
        for (Played p : played) {
            if (p.start() < end && p.end() > start - echoDelay) {
                loudest = Math.max(loudest, p.levelDbfs());
            }
        }
        return level < loudest - settings.echoMarginDb();
    }

    private List<String> words() {
        if (finals.isEmpty()) {
            return partial.subList(Math.min(skip, partial.size()), partial.size());
        }
        List<String> all = new ArrayList<>(finals);
        all.addAll(partial.subList(Math.min(skip, partial.size()), partial.size()));
        return all;
    }

    /** Forgets the words so far; the utterance the recogniser is in the middle of counts from here. */
    private void resetWords() {
        finals.clear();
        skip = partial.size();
    }
}
