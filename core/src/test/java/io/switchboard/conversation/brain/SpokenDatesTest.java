package io.switchboard.conversation.brain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every date is read relative to Thursday 5 March 2026. */
class SpokenDatesTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 3, 5);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "today|2026-03-05",
            "tomorrow|2026-03-06",
            "tomorrow please|2026-03-06",
            "the day after tomorrow|2026-03-07",
            "the twenty first of March|2026-03-21",
            "the twenty-first of march|2026-03-21",
            "march twenty first|2026-03-21",
            "March 21st|2026-03-21",
            "21st of march|2026-03-21",
            "on the 21st of March, please.|2026-03-21",
            "march twenty one|2026-03-21",
            "the first of april|2026-04-01",
            "april fourth|2026-04-04",
            "april forth|2026-04-04",
            "the third of march|2027-03-03",
            "january tenth|2027-01-10",
            "march 21 2027|2027-03-21",
            "may the fifth|2026-05-05",
            "the thirty first of december|2026-12-31",
            "3/21|2026-03-21",
            "2026-08-01|2026-08-01",
            "friday|2026-03-06",
            "on friday|2026-03-06",
            "this friday|2026-03-06",
            "next friday|2026-03-13",
            "next tuesday|2026-03-10",
            "tuesday|2026-03-10",
            "thursday|2026-03-12",
            "monday would be good|2026-03-09",
            "in three days|2026-03-08",
            "in two weeks|2026-03-19",
            "in a week|2026-03-12",
            "next week|2026-03-12",
            "on the fourth|2026-04-04",
            "the fifth|2026-03-05",
            "the twentieth|2026-03-20",
            "how about the tenth|2026-03-10",
    })
    void readsDates(String answer, String expected) {
        assertEquals(Optional.of(LocalDate.parse(expected)), SpokenDates.extract(answer, TODAY), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "i dont know", "may i ask who is calling", "whenever", "the thirty first of february",
            "just a second", "march on"})
    void readsNoDate(String answer) {
        assertEquals(Optional.empty(), SpokenDates.extract(answer, TODAY), answer);
    }
}
