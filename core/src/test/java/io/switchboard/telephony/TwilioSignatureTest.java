package io.switchboard.telephony;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The carrier's request signature, against the vector Twilio's own documentation publishes. */
class TwilioSignatureTest {

    private static final String URL = "https://mycompany.com/myapp.php?foo=1&bar=2";

    private static Map<String, List<String>> params() {
        Map<String, List<String>> p = new LinkedHashMap<>();
        p.put("To", List.of("+18005551212")); // order of arrival must not matter
        p.put("CallSid", List.of("CA1234567890ABCDE"));
        p.put("Caller", List.of("+14158675309"));
        p.put("Digits", List.of("1234"));
        p.put("From", List.of("+14158675309"));
        return p;
    }

    @Test
    void matchesTheDocumentedVector() {
        assertEquals("RSOYDt4T1cUTdK1PDd93/VVr8B8=", TwilioSignature.sign("12345", URL, params()));
        assertTrue(TwilioSignature.verify("12345", URL, params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    @Test
    void anyChangeBreaksIt() {
        String good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        assertFalse(TwilioSignature.verify("12346", URL, params(), good), "another token");
        assertFalse(TwilioSignature.verify("12345", URL.replace("foo=1", "foo=2"), params(), good), "another query");
        Map<String, List<String>> tampered = params();
        tampered.put("Digits", List.of("9999"));
        assertFalse(TwilioSignature.verify("12345", URL, tampered, good), "a tampered parameter");
        assertFalse(TwilioSignature.verify("12345", URL, params(), null), "no header");
        assertFalse(TwilioSignature.verify("12345", URL, params(), ""), "empty header");
    }

    @Test
    void formBodiesRoundTrip() {
        Map<String, List<String>> p = params();
        p.put("StatusCallbackEvent", List.of("initiated", "ringing"));
        p.put("Twiml", List.of("<Response><Connect><Stream url=\"wss://x/y?a=1&b=2\"/></Connect></Response>"));
        assertEquals(p, FormEncoding.parse(FormEncoding.encode(p)));
    }
}
