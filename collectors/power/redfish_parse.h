/* Pure parsers of Redfish answers (DMTF DSP0268): collections (Chassis,
 * PowerSupplies), a resource's links to its power resources, and the power
 * readings of a Power resource (PowerControl[], PowerSupplies[],
 * Voltages[]) or of an EnvironmentMetrics / PowerSupplyMetrics resource
 * (PowerWatts, EnergykWh or EnergyJoules, InputVoltage, InputCurrentAmps).
 * No I/O; fuzzed. Needs yajl. */
#ifndef VIRTMETER_POWER_REDFISH_PARSE_H
#define VIRTMETER_POWER_REDFISH_PARSE_H

#include <stddef.h>

#include "include/virtmeter/meter.h"

#define RF_MAX_CHASSIS 8
#define RF_MAX_PSUS 8 /* power supplies read per chassis */
#define RF_PATH_MAX 256 /* bytes of an @odata.id, with the NUL */

/* The @odata.id of every member of a collection (such as
 * /redfish/v1/Chassis), up to max, into ids. Returns the number found
 * (0 or more), or -EINVAL with a reason in err (errlen bytes) for bad
 * JSON or an answer that is not a collection. */
int meter_redfish_members(const char *buf, size_t len,
			  char ids[][RF_PATH_MAX], size_t max, char *err,
			  size_t errlen);

/* A chassis's power resources: the @odata.id of its EnvironmentMetrics,
 * of its PowerSubsystem and of its Power resource ("" when absent). */
struct rf_links {
	char env[RF_PATH_MAX];
	char subsystem[RF_PATH_MAX];
	char power[RF_PATH_MAX];
};

/* Parses a Chassis resource into out. Returns 0, or -EINVAL with a reason
 * in err for bad JSON or an answer that is not an object. */
int meter_redfish_links(const char *buf, size_t len, struct rf_links *out,
			char *err, size_t errlen);

/* The @odata.id of the link key of a resource ({"KEY": {"@odata.id":
 * "/..."}}) into out (RF_PATH_MAX bytes): the PowerSupplies collection of
 * a PowerSubsystem, the Metrics of a PowerSupply. Returns 0; -ENOENT with
 * a reason in err when the resource has no usable such link; -EINVAL with
 * a reason in err for bad JSON or an answer that is not an object. */
int meter_redfish_link(const char *buf, size_t len, const char *key,
		       char *out, char *err, size_t errlen);

/* Parses the power readings of a Power, EnvironmentMetrics or
 * PowerSupplyMetrics resource of the chassis called chassis into out (room
 * for max). A Power resource gives one reading per PowerControl member
 * (zone "CHASSIS/MEMBERID"): PowerConsumedWatts, and the mains voltage of
 * the first power supply that reports LineInputVoltage (else of the first
 * Voltages[] sensor in the PowerSupply context) on the first member. The
 * metrics resources give one reading (zone "CHASSIS"): PowerWatts.Reading,
 * the energy of EnergyJoules.Reading or EnergykWh.Reading (in joules),
 * InputVoltage.Reading and InputCurrentAmps.Reading. Zone names keep
 * [A-Za-z0-9_.:-] and turn other bytes into '_'. Null readings (a host
 * that is off) are left out; a reading of the wrong type, negative or not
 * finite is an error. Returns the number of readings (at least 1), or
 * -EINVAL with a reason in err. */
int meter_redfish_readings(const char *buf, size_t len, const char *chassis,
			   struct virtmeter_reading *out, size_t max,
			   char *err, size_t errlen);

/* Parses the PowerSupplyMetrics resource of the power supply called psu
 * in the chassis called chassis into out: one reading, zone "CHASSIS/PSU"
 * (cleaned as above), with InputPowerWatts.Reading, the energy of
 * EnergyJoules.Reading or EnergykWh.Reading (in joules),
 * InputVoltage.Reading and InputCurrentAmps.Reading. Returns 1; 0 with a
 * reason in err when neither power nor energy is given (a supply that is
 * off or unplugged: its zone is left out); -EINVAL with a reason in err
 * for bad JSON or a reading of the wrong type, negative or not finite. */
int meter_redfish_psu_readings(const char *buf, size_t len, const char *chassis,
			       const char *psu, struct virtmeter_reading *out,
			       char *err, size_t errlen);

/* The last segment of an @odata.id ("/redfish/v1/Chassis/1U" gives "1U"),
 * written into out (size bytes). */
void meter_redfish_id(const char *odata_id, char *out, size_t size);

#endif
