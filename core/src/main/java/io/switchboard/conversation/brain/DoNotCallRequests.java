package io.switchboard.conversation.brain;

/**
 * Whether a caller's words ask not to be called again, by the same patterns (misheard words included) the flow
 * brain's built-in intent uses. For brains that do not decide by themselves what the law requires: the LLM brain
 * adds the number in code the moment it hears this, rather than trusting the model to call its tool.
 */
public final class DoNotCallRequests {

    private DoNotCallRequests() {
    }

    /** True when {@code callerText} (as said or as a phone recogniser heard it) asks to be taken off the list. */
    public static boolean heard(String callerText) {
        String n = Words.normalize(callerText == null ? "" : callerText);
        return !n.isEmpty() && BuiltInIntents.doNotCallByWords(n);
    }
}
