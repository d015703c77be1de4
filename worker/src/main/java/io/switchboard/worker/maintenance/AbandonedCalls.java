package io.switchboard.worker.maintenance;

import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;

import io.switchboard.calls.Call;
import io.switchboard.calls.CallRepository;
import io.switchboard.calls.CallService;

/**
 * Ends calls that stopped sending audio without ending (the server handling the stream died): each is marked
 * failed like any other ending, so its pipeline is queued and the audio stored so far is still processed.
 */
public final class AbandonedCalls {

    /** Calls ended per sweep at most; the next sweep takes the rest. */
    static final int BATCH = 500;

    private final CallRepository repository;
    private final CallService calls;
    private final Clock clock;
    private final Duration silence;

    /** @param silence how long without audio makes a live call abandoned */
    public AbandonedCalls(CallRepository repository, CallService calls, Clock clock, Duration silence) {
        this.repository = repository;
        this.calls = calls;
        this.clock = clock;
        this.silence = silence;
    }

    /** How often to sweep: every 30 s, or as often as the setting when shorter (a call ends within twice it). */
    public Duration interval() {
        return silence.compareTo(Duration.ofSeconds(30)) >= 0 ? Duration.ofSeconds(30)
                : silence.compareTo(Duration.ofSeconds(1)) > 0 ? silence : Duration.ofSeconds(1);
    }

    /** Ends the abandoned calls found now; returns how many. */
    public int sweep() {
        List<Call> stale = repository.abandoned(clock.instant().truncatedTo(ChronoUnit.MICROS).minus(silence), BATCH);
        for (Call c : stale) {
            calls.end(c.organizationId(), c.id(), Call.State.FAILED, "no audio for " + silence.toSeconds()
                    + " s and the stream never ended (the server handling it stopped)");
        }
        return stale.size();
    }
}
