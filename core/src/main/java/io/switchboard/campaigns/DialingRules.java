package io.switchboard.campaigns;

import java.time.LocalDate;
import java.util.Set;
import java.util.TreeSet;

/**
 * The dialer's compliance rules of a campaign, beyond its calling window.
 *
 * @param requireConsent    only contacts with a granted "calls" consent on record are dialled
 * @param maxAttemptsPerDay attempts per contact per callee-local day, across the organisation's campaigns
 * @param holidays          callee-local dates on which the campaign does not call
 */
public record DialingRules(boolean requireConsent, int maxAttemptsPerDay, Set<LocalDate> holidays) {

    public static final int DEFAULT_ATTEMPTS_PER_DAY = 3;
    public static final int MAX_ATTEMPTS_PER_DAY = 20;
    public static final int MAX_HOLIDAYS = 366;
    public static final DialingRules DEFAULT = new DialingRules(false, DEFAULT_ATTEMPTS_PER_DAY, Set.of());

    public DialingRules {
        holidays = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(holidays));
    }
}
