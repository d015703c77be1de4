package io.switchboard.calls;

/**
 * Who opens a call, which decides what is checked when it opens. A {@link #CLIENT} (an API key or a console
 * user streaming audio) is held to the campaign's calling window and the plan's live-call cap; so is a
 * {@link #BROWSER} (a page talking to an agent over the talk WebSocket, with a token a key minted). The
 * {@link #CARRIER}'s media stream of a campaign call the dialer placed is not: the dialer checked the window
 * when it dialled, and the attempt holds its live-call slot since it was claimed. The call's audit entry
 * ({@code call.open}) records its origin.
 */
public enum Origin { CLIENT, CARRIER, BROWSER }
