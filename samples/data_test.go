package samples_test

// The sample order sheet: 8 customers, 30 rows, every product type of the
// Partner Center documents' examples. Columns are headed the way a finance
// team writes them; "Customer Name", "Product" and "Cost Center" are the
// team's own columns and pass through untouched.

var header = []string{
	"Customer Name", "Customer Tenant Id", "SKU", "Product", "Qty", "Billing Cycle", "Term", "Renews To",
	"Custom Term End Date", "Provisioning Context", "Partner On Record Attestation Accepted",
	"Transaction Reseller", "Additional Transaction Resellers", "Cart Group", "Cost Center",
}

// Column positions in header.
const (
	colName = iota
	colCustomer
	colSKU
	colProduct
	colQty
	colBilling
	colTerm
	colRenews
	colCoterm
	colProvisioning
	colAttest
	colReseller
	colAdditional
	colGroup
	colCost
)

const (
	contoso   = "4a7e3f12-9c1b-4d2e-8f6a-1b2c3d4e5f60"
	fabrikam  = "7d3b2c1a-5e4f-4a6b-9c8d-0e1f2a3b4c5d"
	northwind = "1f2e3d4c-5b6a-4798-8a9b-c0d1e2f3a4b5"
	adatum    = "9b8a7c6d-5e4f-4321-a0b9-c8d7e6f5a4b3"
	tailspin  = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
	woodgrove = "6e5d4c3b-2a19-4f8e-b7d6-c5b4a3928170"
	litware   = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	proseware = "5f6e7d8c-9b0a-4c1d-9e2f-3a4b5c6d7e8f"
	azureSub  = "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
)

var rows = [][]string{
	{"Contoso Ltd", contoso, "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "Microsoft 365 Business Basic", "25", "monthly", "P1M", "P1M", "", "", "yes", "", "", "", "CC-100"},
	{"Contoso Ltd", contoso, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "Microsoft 365 E3", "10", "monthly", "P1Y", "", "", "", "yes", "5357564", "517285; 5357563", "", "CC-100"},
	{"Contoso Ltd", contoso, "DZH318Z0BPS6:0001:DZH318Z0BML6", "Microsoft Azure plan", "1", "one_time", "", "", "", "", "yes", "", "", "", "CC-100"},
	{"Contoso Ltd", contoso, "DZH318Z0BXWC:0002:DZH318Z0BMRV", "SaaS app (monthly)", "1", "monthly", "P1M", "", "", "", "yes", "", "", "", "CC-100"},
	{"Fabrikam Inc", fabrikam, "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", "Microsoft 365 Business Standard", "40", "annual", "P1Y", "", "2027-09-30", "", "yes", "", "", "", "CC-210"},
	{"Fabrikam Inc", fabrikam, "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", "Exchange Online (Plan 1)", "40", "monthly", "P1M", "", "", "", "yes", "", "", "", "CC-210"},
	{"Fabrikam Inc", fabrikam, "DZH318Z0BQ36:004G:DZH318Z08C0S", "Reserved VM Instance, 1 year", "2", "one_time", "P1Y", "", "", "subscriptionId=" + azureSub + "; scope=shared", "yes", "", "", "", "CC-210"},
	{"Fabrikam Inc", fabrikam, "DZH318Z0BQ36:004J:DZH318Z08B8X", "Reserved VM Instance, 3 years", "1", "one_time", "P3Y", "", "", "subscriptionId=" + azureSub + "; scope=single", "yes", "", "", "", "CC-210"},
	{"Northwind Traders", northwind, "DG7GMGF0DWTL:0001:DG7GMGF0DSFM", "Perpetual software", "5", "one_time", "", "", "", "", "yes", "", "", "", "CC-300"},
	{"Northwind Traders", northwind, "DG7GMGF0DWM3:0002:DG7GMGF0DT1M", "Perpetual software (server)", "2", "one_time", "", "", "", "", "yes", "", "", "", "CC-300"},
	{"Northwind Traders", northwind, "DG7GMGF0FKZV:0003:DG7GMGF0DWMS", "SQL Server Standard, 3-year subscription", "4", "one_time", "P3Y", "", "", "", "yes", "", "", "", "CC-300"},
	{"Northwind Traders", northwind, "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "Microsoft 365 Business Basic", "12", "monthly", "P1Y", "P1Y", "", "", "yes", "", "", "", "CC-300"},
	{"Adatum Corp", adatum, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "Microsoft 365 E3", "150", "annual", "P1Y", "", "", "", "yes", "", "", "HQ", "CC-400"},
	{"Adatum Corp", adatum, "DZH318Z0BPS6:0001:DZH318Z0BML6", "Microsoft Azure plan", "1", "one_time", "", "", "", "", "yes", "", "", "HQ", "CC-400"},
	{"Adatum Corp", adatum, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "Microsoft 365 E3", "30", "monthly", "P1Y", "", "", "", "yes", "", "", "Branch", "CC-410"},
	{"Adatum Corp", adatum, "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "Microsoft 365 Business Basic", "30", "monthly", "P1M", "", "", "", "yes", "", "", "Branch", "CC-410"},
	{"Tailspin Toys", tailspin, "DZH318Z0C0WF:0001:DZH318Z0BP69", "SaaS app, free trial", "10", "none", "P1M", "P1Y", "", "", "yes", "", "", "", "CC-500"},
	{"Tailspin Toys", tailspin, "DZH318Z0BXWC:0002:DZH318Z0BMRV", "SaaS app (monthly)", "3", "monthly", "P1M", "", "", "", "yes", "", "", "", "CC-500"},
	{"Tailspin Toys", tailspin, "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", "Microsoft 365 Business Standard", "8", "monthly", "P1M", "", "", "", "yes", "", "", "", "CC-500"},
	{"Woodgrove Bank", woodgrove, "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", "Microsoft 365 Business Standard", "250", "triennial", "P3Y", "", "", "", "yes", "", "", "", "CC-600"},
	{"Woodgrove Bank", woodgrove, "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS", "Exchange Online (Plan 1)", "250", "annual", "P3Y", "", "2029-06-30", "", "yes", "", "", "", "CC-600"},
	{"Woodgrove Bank", woodgrove, "DZH318Z0BQ36:004G:DZH318Z08C0S", "Reserved VM Instance, 1 year", "5", "one_time", "P1Y", "", "", "subscriptionId=" + azureSub + "; scope=shared", "yes", "", "", "", "CC-600"},
	{"Woodgrove Bank", woodgrove, "DZH318Z0BPS6:0001:DZH318Z0BML6", "Microsoft Azure plan", "1", "one_time", "", "", "", "", "yes", "", "", "", "CC-600"},
	{"Litware Inc", litware, "91FD106F-4B2C-4938-95AC-F54F74E9A239", "Legacy offer (license-based)", "15", "monthly", "", "", "", "", "yes", "", "", "", "CC-700"},
	{"Litware Inc", litware, "CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P", "Microsoft 365 Business Basic", "15", "monthly", "P1M", "", "", "", "yes", "", "", "", "CC-700"},
	{"Litware Inc", litware, "DG7GMGF0DWTL:0001:DG7GMGF0DSFM", "Perpetual software", "1", "one_time", "", "", "", "", "yes", "", "", "", "CC-700"},
	{"Proseware", proseware, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "Microsoft 365 E3", "6", "monthly", "P1Y", "", "", "", "yes", "5357564", "", "", "CC-800"},
	{"Proseware", proseware, "DZH318Z0BXWC:0002:DZH318Z0BMRV", "SaaS app (annual)", "6", "annual", "P1Y", "", "", "", "yes", "", "", "", "CC-800"},
	{"Proseware", proseware, "DZH318Z0C0WF:0001:DZH318Z0BP69", "SaaS app, free trial", "5", "none", "P1M", "P1M", "", "", "yes", "", "", "", "CC-800"},
	{"Proseware", proseware, "CFQ7TTC0LF8S:0001:CFQ7TTC0VZW5", "Microsoft 365 Business Standard", "6", "annual", "P1Y", "", "", "", "yes", "", "", "", "CC-800"},
}

// firstDataRow is the spreadsheet row of rows[0]: a title, a blank row and
// the header come first.
const firstDataRow = 4

// mistake is one typical error put into the sample, and what the validator
// must say about it. samples/README.md lists the same.
type mistake struct {
	row     int // index into rows
	col     int
	value   string
	column  string // the column the message names
	message string // a part of the message
}

var mistakes = []mistake{
	{0, colQty, "0", "Quantity", "'0' must be a whole number above 0"},
	{1, colAdditional, "517285; 5357563; 517285", "AdditionalTransactionResellers", "PartnerID 517285 appears twice"},
	{2, colQty, "3", "Quantity", "above the maximum of 1"},
	{2, colTerm, "P1Y", "TermDuration", "an Azure plan has no term"},
	{4, colCoterm, "2024-01-31", "CustomTermEndDate", "2024-01-31 is in the past"},
	{5, colBilling, "Weekly", "BillingCycle", "'Weekly' is not known"},
	{6, colProvisioning, "subscriptionId=" + azureSub, "ProvisioningContext", "needs scope=shared or scope=single"},
	{8, colTerm, "P1Y", "TermDuration", "perpetual software has no term"},
	{12, colCustomer, "9b8a7c6d-5e4f-4321-a0b9-c8d7e6f5a4b", "CustomerId", "is not a customer tenant id"},
	{15, colSKU, "CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ", "CatalogItemId", "duplicate of row 18"},
	{15, colTerm, "P1Y", "CatalogItemId", "merge the quantities"},
	{16, colTerm, "", "TermDuration", "a trial (billing cycle none) needs a term"},
	{18, colQty, "2.5", "Quantity", "must be a whole number above 0 (no decimals)"},
	{19, colSKU, "CFQ7TTC0LF8S-0001-CFQ7TTC0VZW5", "CatalogItemId", "is not a catalog item id"},
	{20, colTerm, "P1M", "BillingCycle", "annual billing is longer than the P1M term"},
	{23, colAttest, "", "PartnerOnRecordAttestationAccepted", "no partner-of-record attestation"},
	{24, colAttest, "", "PartnerOnRecordAttestationAccepted", "no partner-of-record attestation"},
	{25, colAttest, "", "PartnerOnRecordAttestationAccepted", "no partner-of-record attestation"},
	{26, colReseller, "MPN5357564", "TransactionReseller", "is not a PartnerID"},
}
