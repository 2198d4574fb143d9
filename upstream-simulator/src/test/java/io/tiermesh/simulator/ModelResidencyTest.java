package io.tiermesh.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelResidencyTest {

    @Test
    void aColdModelLoadsOnFirstUseAndStaysForItsKeepAlive() {
        ModelResidency r = new ModelResidency().loadTime("llama3.1:8b", 3_000);
        assertFalse(r.loaded("llama3.1:8b", 0));
        assertEquals(3_000, r.use("llama3.1:8b", "10s", 0), "the first request waits for the load");
        assertEquals(2_000, r.use("llama3.1:8b", null, 1_000), "a request during the load waits for the rest");
        assertEquals(0, r.use("llama3.1:8b", "10s", 5_000), "loaded: no wait");
        assertTrue(r.loaded("llama3.1:8b", 14_000));
        assertEquals(1, r.loads("llama3.1:8b"));
        assertEquals(0, r.use("other-model", null, 0), "a model without a load time is always loaded");
    }

    @Test
    void anIdleModelIsUnloadedAfterItsKeepAliveAndLoadsAgain() {
        ModelResidency r = new ModelResidency().loadTime("m", 1_000);
        r.use("m", "30s", 0);
        assertTrue(r.loaded("m", 31_000));
        assertFalse(r.loaded("m", 31_001));
        assertEquals(1_000, r.use("m", "30s", 40_000));
        assertEquals(2, r.loads("m"));
        r.use("m", -1, 50_000);
        assertTrue(r.loaded("m", Long.MAX_VALUE - 1), "a negative keep_alive keeps it for ever");
        r.use("m", 0, 60_000);
        assertFalse(r.loaded("m", 60_001), "keep_alive 0 unloads it after the answer");
    }

    @Test
    void keepAliveReadsOllamasForms() {
        assertEquals(ModelResidency.DEFAULT_KEEP_ALIVE_MS, ModelResidency.keepAliveMillis(null));
        assertEquals(300_000, ModelResidency.keepAliveMillis("5m"));
        assertEquals(3_600_000, ModelResidency.keepAliveMillis("1h"));
        assertEquals(30_000, ModelResidency.keepAliveMillis(30));
        assertEquals(30_000, ModelResidency.keepAliveMillis("30"));
        assertTrue(ModelResidency.keepAliveMillis("-1") < 0);
    }
}
