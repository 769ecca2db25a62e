/* A shared object that is not a meter plugin: it exports no
 * virtmeter_meter descriptor. */
int not_a_meter(void);

int not_a_meter(void)
{
	return 42;
}
