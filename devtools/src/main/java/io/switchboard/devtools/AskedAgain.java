package io.switchboard.devtools;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A person's habit on a call, for scripted callers: when the agent asks again the question it asked before the
 * person's last line (the flow's re-ask after a no-match), the person says that line again, up to {@code times}
 * in the call. Fed the person's lines and the agent's final sentences, each with where it starts on the call's
 * clock (the caller's audio, in milliseconds), so the order they arrive in does not matter.
 *
 * @param <L> a line of the script, as the caller keeps it
 */
public final class AskedAgain<L> {

    private record Question(String text, long startMs) {
    }

    private final List<Question> questions = new ArrayList<>();
    private int left;
    private L line;
    private long lineAtMs;

    public AskedAgain(int times) {
        this.left = times;
    }

    /** The person began {@code line}, an answer to the agent, at {@code atMs}. */
    public void said(L line, long atMs) {
        this.line = line;
        this.lineAtMs = atMs;
    }

    /** The agent said {@code text}, from {@code startMs}: the line to say again, when it asked its question again. */
    public Optional<L> agentSaid(String text, long startMs) {
        if (!text.endsWith("?")) {
            return Optional.empty();
        }
        Optional<String> before = questions.stream().filter(q -> q.startMs() < lineAtMs).map(Question::text)
                .reduce((first, second) -> second);
        questions.add(new Question(text, startMs));
        if (line == null || left == 0 || startMs < lineAtMs || !before.equals(Optional.of(text))) {
            return Optional.empty();
        }
        left--;
        L again = line;
        line = null;
        return Optional.of(again);
    }
}
