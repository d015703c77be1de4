package io.switchboard.server.web;

import java.util.Optional;

/**
 * One WebSocket text message put back together from the fragments Helidon hands a listener ({@code onMessage(
 * session, text, last)}), within a bound, so a peer cannot make a socket hold an endless message. The talk socket
 * and the carrier's media stream assemble their JSON messages with it; each reports a refusal in its own protocol.
 * Not thread-safe: a listener's messages arrive one at a time.
 */
public final class TextFrames {

    /** The message would exceed the bound; what arrived of it is dropped. */
    public static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        TooLarge(int max) {
            super("a text message exceeds " + max + " characters", null, false, false);
        }
    }

    private final int max;
    private final StringBuilder partial = new StringBuilder();

    /** @param max the most characters one message may have */
    public TextFrames(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be positive, got " + max);
        }
        this.max = max;
    }

    /**
     * Adds one fragment: the whole message once {@code last}, empty before.
     *
     * @throws TooLarge when the message would exceed the bound; what arrived of it is dropped, so the next
     *                  fragment starts a new message
     */
    public Optional<String> add(String fragment, boolean last) throws TooLarge {
        if (partial.length() + fragment.length() > max) {
            partial.setLength(0);
            throw new TooLarge(max);
        }
        partial.append(fragment);
        if (!last) {
            return Optional.empty();
        }
        String message = partial.toString();
        partial.setLength(0);
        return Optional.of(message);
    }

    /** Characters of a message begun and not finished. */
    public int pending() {
        return partial.length();
    }
}
