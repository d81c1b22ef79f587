"""Power loss and network faults at random instants (issue 18, "Power loss", E11, E12, E13): about 30 cycles of
charging sessions, each cut by SIGKILL at a random instant while the CSMS is up, down, dropping replies or closing the
connection; the agent restarts on the same data directory. At the end, with the CSMS up and everything drained, every
transaction has exactly one Started and one Ended (PowerLoss for the ones a kill cut), gap-free seqNo, nothing lost,
no duplicate except identical retransmissions. The seed is printed (`-s` shows it; FAULT_SEED=S replays);
`make soak` runs the same harness for 1,000 cycles."""
import os

import pytest

import faults


@pytest.mark.timeout(240)
def test_E11_E12_power_loss_kill_9_at_random_instants_loses_no_transaction(csms, agent):
    csms.message_timeout = faults.MESSAGE_TIMEOUT
    station = agent(station_id=faults.STATION_ID, model=faults.MODEL, log_level="info")
    seed = int(os.environ["FAULT_SEED"]) if os.environ.get("FAULT_SEED") else None
    result = faults.run(csms, station, int(os.environ.get("FAULT_CYCLES", "30")), seed)
    assert result.kills >= 25, result.line()
    assert result.transactions >= 10, result.line()
    assert not result.failures, f"{result.line()}\n" + "\n".join(result.failures) + "\n" + csms.ledger.summary()
