package io.switchboard.conversation;

/**
 * What one conversation used besides call time, metered once when it ends: the characters the agent's voice
 * synthesised, the caller's audio the live recogniser heard, and the LLM brain's tokens over every request.
 */
public record ConversationUsage(long synthesizedCharacters, long recognizedMs, long llmInputTokens,
                                long llmOutputTokens) {
}
