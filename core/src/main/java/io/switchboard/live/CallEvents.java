package io.switchboard.live;

import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.switchboard.calls.LiveEvents;

/**
 * A live call's events for its watchers on every server, through {@link LiveEvents}: each transcript event
 * in the API's own encoding, then the end. A failure costs the watchers the event, never the call its audio.
 */
public final class CallEvents {

    private static final Logger LOG = Logger.getLogger(CallEvents.class.getName());

    private final LiveEvents.Publisher publisher;
    private final Function<CallOutput.Transcript, byte[]> encoding;
    private final String call;

    public CallEvents(LiveEvents.Publisher publisher, Function<CallOutput.Transcript, byte[]> encoding, String call) {
        this.publisher = publisher;
        this.encoding = encoding;
        this.call = call;
    }

    public void transcript(CallOutput.Transcript t) {
        try {
            publisher.publish(encoding.apply(t));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "publishing a live event of call " + call + " failed; watchers miss it", e);
        }
    }

    /** Wakes the watchers at once (they read the ending from the call's row, within a second anyway). */
    public void ended() {
        try {
            publisher.ended();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "announcing the end of call " + call + " failed; watchers find it within a second", e);
        }
    }
}
