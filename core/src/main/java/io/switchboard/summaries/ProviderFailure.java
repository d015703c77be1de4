package io.switchboard.summaries;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.TimeoutException;

/**
 * Why a call to a remote model failed, and whether trying again may help (timeouts, 408, 429, 5xx, refused
 * connections, connections that broke). Shared by the summariser and the conversation's LLM brain so both retry the same failures.
 *
 * @param status the HTTP status, or null when the request got no answer
 */
public record ProviderFailure(String what, Integer status, String message, boolean retryable) {

    /** @param timeout the request timeout the model was built with, named in the description */
    public static ProviderFailure classify(Throwable e, Duration timeout) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpException http) {
                int status = http.statusCode();
                boolean transientStatus = status == 408 || status == 429 || status >= 500;
                String what = status == 429 ? "rate limited by the provider"
                        : status >= 500 ? "the provider failed" : "the provider rejected the request";
                return new ProviderFailure(what, status, http.getMessage(), transientStatus);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof HttpTimeoutException
                    || t instanceof SocketTimeoutException) {
                return new ProviderFailure("no reply within the " + timeout + " timeout", null, t.getMessage(), true);
            }
            if (t instanceof ConnectException) {
                return new ProviderFailure("could not connect to the provider", null, t.getMessage(), true);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException) {
                return new ProviderFailure("the connection to the provider broke", null, t.getMessage(), true);
            }
        }
        return new ProviderFailure("the model call failed", null, String.valueOf(e), false);
    }
}
